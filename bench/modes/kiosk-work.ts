/**
 * What each mode costs the kiosk and the center in CPU per card, measured
 * alone (no network, no card), for bench/modes.ts:
 *
 * - relay: the center builds the secured script from the KMC
 *   (card/script buildScript); the kiosk only decodes the APDUs' hex;
 * - sealed: the center derives the card's keys and seals them with the
 *   DGIs (cardStaticKeys, encodePackageContent, sealPackage: X25519, HKDF,
 *   XChaCha20-Poly1305); the kiosk opens the package, decodes it and builds
 *   the same script itself (openPackage, decodePackageContent, buildScript),
 *   then wipes it all — what kiosk/handlers/package.ts does.
 *
 * The card's INITIALIZE UPDATE response comes from the card side of SCP03
 * (card/scp03 CardSecureChannel) for keys diversified from a test KMC.
 */
import { randomBytes } from 'node:crypto';
import { hex, toHex, zeroize } from '../../card/bytes.js';
import { diversifyKdf3 } from '../../card/diversify.js';
import { CardSecureChannel } from '../../card/scp03/index.js';
import { buildScript, cardStaticKeys, profileByName } from '../../card/script/index.js';
import { sampleApplication } from '../../cli/card-demo/sample.js';
import { decodePackageContent, encodePackageContent, zeroizePackageContent } from '../../wire/package-content.js';
import { openPackage, sealPackage, sealingPublicKey } from '../../wire/package.js';

const random = (n: number): Uint8Array => new Uint8Array(randomBytes(n));
const PROFILE = profileByName('cardline-basic');

export interface WorkFigures {
  /** CPU ms per card (user + system of this process, one thread). */
  relayCenter: number;
  relayKiosk: number;
  sealedCenter: number;
  sealedKiosk: number;
}

function cpuMs(f: () => void, n: number): number {
  const c0 = process.cpuUsage();
  for (let i = 0; i < n; i++) f();
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / 1000 / n;
}

export function measureKioskWork(n = 300): WorkFigures {
  const kmc = random(16);
  const kdd = random(10);
  const hostChallenge = random(8);
  const k = diversifyKdf3(kmc, kdd);
  const { response: iuResponse } = CardSecureChannel.initializeUpdate({ keys: { ...k, kvn: 0x30 }, hostChallenge, kdd, i: 0x70, sequenceCounter: 1, aid: PROFILE.sdAid, random });
  const dgis = sampleApplication(random).dgis;
  const sealingSecret = random(32);
  const recipient = sealingPublicKey(sealingSecret);
  const binding = { kiosk: 'kiosk-1', job: '00000000-0000-4000-8000-000000000000', attempt: 1, kind: 'write', profile: PROFILE.name, deadline: Number.MAX_SAFE_INTEGER } as const;
  const input = { kind: 'write' as const, profile: PROFILE, hostChallenge, iuResponse, dgis };

  const script = buildScript({ ...input, kmc });
  const scriptHex = script.apdus.map((a) => toHex(a));
  const keys = cardStaticKeys(kmc, iuResponse);
  const plain = encodePackageContent({ keys, dgis });
  const sealed = sealPackage(plain, recipient, binding, random);
  zeroize(plain, keys.enc, keys.mac, keys.dek);

  const figures: WorkFigures = {
    relayCenter: cpuMs(() => zeroize(...buildScript({ ...input, kmc }).apdus), n),
    relayKiosk: cpuMs(() => zeroize(...scriptHex.map((a) => hex(a))), n),
    sealedCenter: cpuMs(() => {
      const c = cardStaticKeys(kmc, iuResponse);
      const p = encodePackageContent({ keys: c, dgis });
      sealPackage(p, recipient, binding, random);
      zeroize(p, c.enc, c.mac, c.dek);
    }, n),
    sealedKiosk: cpuMs(() => {
      const p = openPackage(sealed, sealingSecret, binding, 0);
      const content = decodePackageContent(p);
      const built = buildScript({ ...input, cardKeys: content.keys, dgis: content.dgis });
      zeroize(p, ...built.apdus);
      zeroizePackageContent(content);
    }, n),
  };
  zeroize(kmc, sealingSecret, k.enc, k.mac, k.dek);
  return figures;
}

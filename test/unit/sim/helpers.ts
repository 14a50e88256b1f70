/**
 * Shared driver for the simulated-card tests: a host that talks to a
 * SimCard with our own host side (card/scp03 HostSecureChannel, card/gp
 * builders), as the kiosk would. Not a test file itself.
 */
import type tap from 'tap';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { command, encodeCommand, parseResponse, type CommandApdu, type ResponseApdu } from '../../../card/apdu.js';
import { hex, toHex } from '../../../card/bytes.js';
import type { Dgi } from '../../../card/dgi.js';
import { buildPersonalizationScript, maxPlaintextPerBlock, selectIsd } from '../../../card/gp/index.js';
import { HostSecureChannel, initializeUpdateCommand, type StaticKeys } from '../../../card/scp03/index.js';
import { SimCard, type SimCardOptions } from '../../../hardware/sim/card/index.js';

/** A tap subtest, as the callbacks of t.test receive it. */
export type SubTest = Parameters<Parameters<typeof tap.test>[0]>[0];

/** pySim's SCP03 test keys (shared/reference/card-protocol.md), KVN 30. */
export const KEYS: StaticKeys = {
  enc: hex('000102030405060708090A0B0C0D0E0F'),
  mac: hex('101112131415161718191A1B1C1D1E1F'),
  dek: hex('202122232425262728292A2B2C2D2E2F'),
  kvn: 0x30,
};

export const ISD_AID = hex('A000000151000000');
export const APP_AID = hex('F0434152444C494E4501');
export const SERIAL = '0102030405060708';

/** A deterministic random source (a counter), so that runs repeat byte for byte. */
export function counterRandom(seed = 1): (n: number) => Uint8Array {
  let x = seed;
  return (n) => Uint8Array.from({ length: n }, () => (x = (x * 73 + 41) & 0xff));
}

export function tempDir(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'cardline-sim-'));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export function readImage(path: string): string {
  return readFileSync(path, 'utf8');
}

export async function newCard(opts: Partial<SimCardOptions> = {}): Promise<SimCard> {
  const card = await SimCard.open({
    random: counterRandom(),
    ...opts,
    profile: { serial: SERIAL, keys: KEYS, ...opts.profile },
  });
  await card.powerOn();
  return card;
}

/** Sends raw bytes (or hex) and splits the response. */
/** Anything that takes APDUs: a SimCard, or a wrapper that records them. */
export type ApduSink = Pick<SimCard, 'transmit'>;

export async function send(card: ApduSink, apdu: Uint8Array | string | CommandApdu): Promise<ResponseApdu> {
  const bytes = typeof apdu === 'string' ? hex(apdu) : apdu instanceof Uint8Array ? apdu : encodeCommand(apdu);
  return parseResponse(await card.transmit(bytes));
}

export function swHex(r: ResponseApdu): string {
  return r.sw.toString(16).toUpperCase().padStart(4, '0');
}

/** The kiosk's side: select the ISD, open SCP03, send protected commands. */
export class Host {
  channel: HostSecureChannel | undefined;
  private readonly random = counterRandom(99);

  constructor(
    readonly card: ApduSink,
    readonly keys: StaticKeys = KEYS,
  ) {}

  plain(apdu: Uint8Array | string | CommandApdu): Promise<ResponseApdu> {
    return send(this.card, apdu);
  }

  /** SELECT ISD, INITIALIZE UPDATE, EXTERNAL AUTHENTICATE at `level`. Returns the EXTERNAL AUTHENTICATE response. */
  async authenticate(level: number, kvn = 0x00): Promise<ResponseApdu> {
    const sel = await this.plain(selectIsd());
    if (sel.sw !== 0x9000 && sel.sw !== 0x6283) throw new Error(`SELECT ISD ${swHex(sel)}`);
    const hostChallenge = this.random(8);
    const iu = await this.plain(initializeUpdateCommand(kvn, hostChallenge));
    if (iu.sw !== 0x9000) throw new Error(`INITIALIZE UPDATE ${swHex(iu)}`);
    this.channel = HostSecureChannel.open({
      keys: { ...this.keys, kvn },
      hostChallenge,
      initUpdateResponse: iu.data,
      securityLevel: level,
      aid: ISD_AID,
    });
    return this.plain(this.channel.externalAuthenticate());
  }

  /** Wraps, sends and unwraps one command in the open session. */
  async secure(cmd: CommandApdu): Promise<ResponseApdu> {
    if (this.channel === undefined) throw new Error('no session');
    const r = await this.plain(encodeCommand(this.channel.wrap(cmd)));
    return this.channel.unwrap(r);
  }
}

export const SAMPLE_DGIS: Dgi[] = [
  { tag: 0x0101, value: hex('70125A0841111111111111115F24032812319F0702FF00') },
  { tag: 0x0102, value: hex('700A5F200A4341524448 4F4C444552'.replace(/ /g, '')) },
  { tag: 0x9102, value: hex('500843415244 4C494E45870101'.replace(/ /g, '')) },
  // A value long enough to span STORE DATA blocks.
  { tag: 0x0201, value: Uint8Array.from({ length: 400 }, (_, i) => i & 0xff) },
  { tag: 0x8000, value: hex('00112233445566778899AABBCCDDEEFF') },
  { tag: 0x8001, value: hex('0F0E0D0C0B0A09080706050403020100F0E0D0C0B0A090807060504030201000') },
  { tag: 0x8010, value: hex('241234FFFFFFFFFF') },
];

/** Builds and sends a personalization script (INSTALL + STORE DATA) in the open session. Returns the SWs. */
export async function personalize(host: Host, level: number, dgis: readonly Dgi[] = SAMPLE_DGIS, convention: 'cps' | 'gp' = 'cps'): Promise<number[]> {
  const script = buildPersonalizationScript({ appAid: APP_AID, dgis, dek: host.keys.dek, maxBlock: maxPlaintextPerBlock(level), p1Convention: convention });
  const sws: number[] = [];
  for (const cmd of script.commands) sws.push((await host.secure(cmd)).sw);
  return sws;
}

/** The plain personalization script commands (for tests that send them one by one). */
export function persoCommands(level: number, dgis: readonly Dgi[] = SAMPLE_DGIS): readonly CommandApdu[] {
  return buildPersonalizationScript({ appAid: APP_AID, dgis, dek: KEYS.dek, maxBlock: maxPlaintextPerBlock(level) }).commands;
}

export function getDataCmd(tag: number, data: Uint8Array = new Uint8Array(0)): CommandApdu {
  return command(0x80, 0xca, tag >>> 8, tag & 0xff, data, 256);
}

export { hex, toHex };

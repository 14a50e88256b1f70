/**
 * Kiosk identities in bulk, made in the kiosk-fleet process so that no
 * private key crosses a process boundary (as a kiosk's keys are born in its
 * TPM): per kiosk a P-256 TLS key and its client certificate from the
 * fleet's issuing CA (OU kiosk, CN = the kiosk ID, the profile dev-pki.ts
 * and certifyKioskRequest give it), an Ed25519 signing key and an X25519
 * sealing key. The secrets stay in memory; the certificate goes into one
 * TLS context per kiosk. What the registry needs (public keys, fingerprint,
 * serial, notAfter) goes to the bench process, which registers the kiosks.
 *
 * Skipped on purpose: the CSR round trip (certifyKioskRequest verifies a
 * self-signature per request; the certificate is the same) and the sealed
 * key store files (scrypt per kiosk; the bench never restarts a kiosk).
 */
import { X509Certificate } from 'node:crypto';
import { createSecureContext, type SecureContext } from 'node:tls';
import { toHex } from '../../card/bytes.js';
import type { Clock } from '../../common/clock.js';
import { issueCertificate, pemJoin, type Ca } from '../../provisioning/pki/ca.js';
import { exportPkcs8PemBytes, newP256KeyPair } from '../../provisioning/pki/tls-keys.js';
import { ed25519PublicKey, newEd25519Secret } from '../../wire/keys.js';
import { sealingPublicKey, X25519_BYTES } from '../../wire/package.js';

/** What the registry keeps of a kiosk (center/registry.ts NewKiosk), as plain data for IPC. */
export interface PublicKiosk {
  id: string;
  signingPub: string;
  sealingPub: string;
  fingerprint: string;
  serial: string;
  notAfter: string;
}

export interface KioskIdentity {
  id: string;
  secureContext: SecureContext;
  /** Ed25519 secret (32 bytes): signs every up envelope. */
  signingKey: Uint8Array;
  /** X25519 secret (32 bytes): opens sealed-mode packages. */
  sealingKey: Uint8Array;
  public: PublicKiosk;
}

export interface IdentityOptions {
  issuing: Ca;
  /** The trust anchor (ca/ca.crt): the broker's chain ends there. */
  rootPem: string;
  days: number;
  clock: Clock;
  random: (n: number) => Uint8Array;
}

export async function makeIdentity(id: string, o: IdentityOptions): Promise<KioskIdentity> {
  const kp = await newP256KeyPair();
  const issued = await issueCertificate({ ca: o.issuing, subject: { cn: id, ou: 'kiosk' }, profile: 'client', days: o.days, publicKey: kp.publicKey, random: o.random, clock: o.clock });
  const certPem = pemJoin(issued.pem, o.issuing.certPem);
  const keyPem = await exportPkcs8PemBytes(kp.privateKey);
  let secureContext: SecureContext;
  try {
    secureContext = createSecureContext({ key: Buffer.from(keyPem.buffer, keyPem.byteOffset, keyPem.byteLength), cert: certPem, ca: o.rootPem });
  } finally {
    keyPem.fill(0);
  }
  const node = new X509Certificate(issued.pem);
  const signingKey = newEd25519Secret(o.random);
  const sealingKey = o.random(X25519_BYTES);
  return {
    id,
    secureContext,
    signingKey,
    sealingKey,
    public: {
      id,
      signingPub: toHex(ed25519PublicKey(signingKey)),
      sealingPub: toHex(sealingPublicKey(sealingKey)),
      fingerprint: node.fingerprint256,
      serial: node.serialNumber.toLowerCase(),
      notAfter: new Date(node.validTo).toISOString(),
    },
  };
}

/** `count` identities named `<prefix><n>`, n from 1; `lap` is told each thousand (progress for long runs). */
export async function makeIdentities(prefix: string, count: number, o: IdentityOptions, lap?: (done: number) => void): Promise<KioskIdentity[]> {
  const out: KioskIdentity[] = [];
  for (let i = 1; i <= count; i++) {
    out.push(await makeIdentity(`${prefix}${i}`, o));
    if (i % 1000 === 0) lap?.(i);
  }
  return out;
}

export function zeroizeIdentity(k: KioskIdentity): void {
  k.signingKey.fill(0);
  k.sealingKey.fill(0);
}

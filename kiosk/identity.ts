/**
 * The kiosk's identity, from its directory (the dev PKI's
 * `<pki>/kiosks/<id>/`; DESIGN §4). Only public files live there:
 *
 *   tls.crt              the kiosk's certificate (PEM); CN = kiosk ID
 *   ca.crt               the fleet CA (PEM): the broker's certificate must chain to it
 *   center-signing.pub   the center's Ed25519 public key, 32 bytes hex: checks envelopes and the registry
 *
 * The private keys (TLS, signing, sealing) are in the key store
 * (kiosk/keystore/, docs/keystore.md), unsealed once at start by the agent;
 * the agent checks there that the store's TLS key is this certificate's.
 *
 * Checked on load: every file (key-files.ts: regular, bounded), the
 * certificate parses, and the CN is an ID equal to the configured kiosk ID
 * when one is configured. Errors name the file, never its content.
 */
import { X509Certificate } from 'node:crypto';
import { join } from 'node:path';
import { KeyFileError, readKeyFile, readPemFile } from '../common/key-files.js';
import { ID_PATTERN } from '../wire/messages.js';
import { KioskError } from './errors.js';

export const IDENTITY_FILES = {
  cert: 'tls.crt',
  ca: 'ca.crt',
  centerPublicKey: 'center-signing.pub',
  /** A renewed certificate waiting for its swap (kiosk/renewal/, docs/provisioning.md §3). */
  nextCert: 'tls.next.crt',
} as const;

export interface KioskIdentity {
  /** The CN of tls.crt. */
  readonly kioskId: string;
  /** Certificates (PEM, public). */
  readonly tls: { readonly cert: string; readonly ca: string };
  readonly centerPublicKey: Uint8Array;
}

export async function loadIdentity(dir: string, expectKioskId?: string): Promise<KioskIdentity> {
  const path = (name: string): string => join(dir, name);
  const [cert, ca, centerPublicKey] = await Promise.all([
    read(() => readPemFile(path(IDENTITY_FILES.cert), { secret: false })),
    read(() => readPemFile(path(IDENTITY_FILES.ca), { secret: false })),
    read(() => readKeyFile(path(IDENTITY_FILES.centerPublicKey), 32, { secret: false })),
  ]);
  const kioskId = commonName(cert, path(IDENTITY_FILES.cert));
  if (expectKioskId !== undefined && kioskId !== expectKioskId) {
    throw new KioskError('IDENTITY_MISMATCH', `${path(IDENTITY_FILES.cert)} is for kiosk ${kioskId}, not ${expectKioskId}`);
  }
  return { kioskId, tls: { cert, ca }, centerPublicKey };
}

/**
 * Only the public half of the identity: the kiosk ID (tls.crt's CN) and the
 * center's key, for tools that check the registry (`cardline hw list`)
 * without reading, and so without holding unwipeable copies of, the
 * kiosk's private keys.
 */
export async function loadPublicIdentity(dir: string): Promise<{ kioskId: string; centerPublicKey: Uint8Array }> {
  const path = (name: string): string => join(dir, name);
  const [cert, centerPublicKey] = await Promise.all([
    read(() => readPemFile(path(IDENTITY_FILES.cert), { secret: false })),
    read(() => readKeyFile(path(IDENTITY_FILES.centerPublicKey), 32, { secret: false })),
  ]);
  return { kioskId: commonName(cert, path(IDENTITY_FILES.cert)), centerPublicKey };
}

async function read<T>(f: () => Promise<T>): Promise<T> {
  try {
    return await f();
  } catch (e) {
    if (e instanceof KeyFileError) throw new KioskError('IDENTITY_INVALID', e.message);
    throw e;
  }
}

/** The subject's CN (RFC 5280 §4.1.2.6), which must be a kiosk ID. */
function commonName(pem: string, file: string): string {
  let subject: string;
  try {
    subject = new X509Certificate(pem).subject;
  } catch {
    throw new KioskError('IDENTITY_INVALID', `${file}: not an X.509 certificate`);
  }
  const cns = subject
    .split('\n')
    .filter((l) => l.startsWith('CN='))
    .map((l) => l.slice(3));
  const cn = cns[0];
  if (cns.length !== 1 || cn === undefined || !ID_PATTERN.test(cn)) {
    throw new KioskError('IDENTITY_INVALID', `${file}: the subject needs exactly one CN that is a kiosk ID`);
  }
  return cn;
}

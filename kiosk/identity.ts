/**
 * The kiosk's identity, from its directory (the dev PKI's
 * `<pki>/kiosks/<id>/`; DESIGN §4):
 *
 *   tls.crt              the kiosk's certificate (PEM); CN = kiosk ID
 *   tls.key              its private key (PEM, mode 0600): MQTT mutual TLS
 *   ca.crt               the fleet CA (PEM): the broker's certificate must chain to it
 *   signing.key          Ed25519 secret, 32 bytes hex (mode 0600): signs what the kiosk sends
 *   center-signing.pub   the center's Ed25519 public key, 32 bytes hex: checks envelopes and the registry
 *
 * Checked on load: every file (key-files.ts: regular, bounded, mode of
 * secrets), the certificate parses, the TLS key is the certificate's, and
 * the CN is an ID equal to the configured kiosk ID when one is configured.
 * Errors name the file, never its content.
 */
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { join } from 'node:path';
import { KeyFileError, readKeyFile, readPemFile } from '../common/key-files.js';
import { ID_PATTERN } from '../wire/messages.js';
import { KioskError } from './errors.js';

export const IDENTITY_FILES = {
  cert: 'tls.crt',
  key: 'tls.key',
  ca: 'ca.crt',
  signingKey: 'signing.key',
  centerPublicKey: 'center-signing.pub',
} as const;

export interface KioskIdentity {
  /** The CN of tls.crt. */
  readonly kioskId: string;
  readonly tls: { readonly cert: string; readonly key: string; readonly ca: string };
  /** Ed25519 secret (32 bytes); zeroized by dispose(). */
  readonly signingKey: Uint8Array;
  readonly centerPublicKey: Uint8Array;
  /** Zeroizes the signing key. The PEM key is a string and cannot be wiped: it goes with the process. */
  dispose(): void;
}

export async function loadIdentity(dir: string, expectKioskId?: string): Promise<KioskIdentity> {
  const path = (name: string): string => join(dir, name);
  const [cert, key, ca, centerPublicKey] = await Promise.all([
    read(() => readPemFile(path(IDENTITY_FILES.cert), { secret: false })),
    read(() => readPemFile(path(IDENTITY_FILES.key), { secret: true })),
    read(() => readPemFile(path(IDENTITY_FILES.ca), { secret: false })),
    read(() => readKeyFile(path(IDENTITY_FILES.centerPublicKey), 32, { secret: false })),
  ]);
  const kioskId = commonName(cert, path(IDENTITY_FILES.cert));
  checkKeyPair(cert, key, path(IDENTITY_FILES.key));
  if (expectKioskId !== undefined && kioskId !== expectKioskId) {
    throw new KioskError('IDENTITY_MISMATCH', `${path(IDENTITY_FILES.cert)} is for kiosk ${kioskId}, not ${expectKioskId}`);
  }
  // Read last, so that no earlier failure leaves it unwiped.
  const signingKey = await read(() => readKeyFile(path(IDENTITY_FILES.signingKey), 32, { secret: true }));
  return {
    kioskId,
    tls: { cert, key, ca },
    signingKey,
    centerPublicKey,
    dispose: () => signingKey.fill(0),
  };
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

function checkKeyPair(certPem: string, keyPem: string, keyFile: string): void {
  let matches: boolean;
  try {
    matches = new X509Certificate(certPem).checkPrivateKey(createPrivateKey(keyPem));
  } catch {
    throw new KioskError('IDENTITY_INVALID', `${keyFile}: not a private key`);
  }
  if (!matches) throw new KioskError('IDENTITY_INVALID', `${keyFile} is not the key of ${IDENTITY_FILES.cert}`);
}

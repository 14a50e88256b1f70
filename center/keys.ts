/**
 * The center's key store (DESIGN §4), read once at start from the files the
 * PKI writes (docs/pki.md):
 * - signing.key: Ed25519, signs envelopes, reader registries and audit checkpoints;
 * - data.key: encrypts application data at rest (data-crypto.ts);
 * - audit.key: keys the hashes of message bodies in the audit log, so a
 *   short personal value (a one-time code) cannot be guessed from its hash;
 * - issuer-master.key: the KMC the cards' ISD keys are diversified from;
 * - TLS material for the embedded broker and for the bridge's own client;
 *   the broker's CRLs are the blocks of ca/crl.pem (the root's CRL, then the
 *   issuing CA's: docs/provisioning.md §1), one string each, because Node
 *   reads only the first CRL of a string.
 *
 * `dispose()` zeroizes every secret it holds. A software key store: a
 * PKCS#11 HSM would take its place behind the same shape (DESIGN §4).
 */
import { join } from 'node:path';
import { KeyFileError, readChecked, readKeyFile, readPemFile } from '../common/key-files.js';
import { pemBlocks } from '../common/pem-blocks.js';
import { ed25519PublicKey } from '../wire/keys.js';

export interface TlsMaterial {
  ca: string;
  cert: string;
  key: string;
  /** The CRLs of ca/crl.pem, one PEM block per string (BrokerTls.crl: Node reads one CRL per string). */
  crl?: string[];
}

/** Largest ca/crl.pem read (the CRLs of a fleet that revoked thousands of certificates). */
export const MAX_CRL_FILE_BYTES = 1024 * 1024;

export interface CenterKeys {
  readonly signingKey: Uint8Array;
  readonly signingPublic: Uint8Array;
  readonly dataKey: Uint8Array;
  readonly auditKey: Uint8Array;
  readonly issuerMaster: Uint8Array;
  readonly brokerTls: TlsMaterial;
  readonly bridgeTls: TlsMaterial;
  dispose(): void;
}

/** Reads the center's keys from a PKI directory laid out by `cardline pki init`. */
export async function loadCenterKeys(pkiDir: string): Promise<CenterKeys> {
  const p = (...parts: string[]): string => join(pkiDir, ...parts);
  const signingKey = await readKeyFile(p('center', 'signing.key'), 32, { secret: true });
  const dataKey = await readKeyFile(p('center', 'data.key'), 32, { secret: true });
  const auditKey = await readKeyFile(p('center', 'audit.key'), 32, { secret: true });
  const issuerMaster = await readKeyFile(p('center', 'issuer-master.key'), 16, { secret: true });
  const ca = await readPemFile(p('ca', 'ca.crt'), { secret: false });
  const crl = await loadCrls(p('ca', 'crl.pem'));
  const brokerTls: TlsMaterial = {
    ca,
    crl,
    cert: await readPemFile(p('broker', 'tls.crt'), { secret: false }),
    key: await readPemFile(p('broker', 'tls.key'), { secret: true }),
  };
  const bridgeTls: TlsMaterial = {
    ca,
    cert: await readPemFile(p('center', 'tls.crt'), { secret: false }),
    key: await readPemFile(p('center', 'tls.key'), { secret: true }),
  };
  return {
    signingKey,
    signingPublic: ed25519PublicKey(signingKey),
    dataKey,
    auditKey,
    issuerMaster,
    brokerTls,
    bridgeTls,
    dispose() {
      // PEM strings are immutable JS strings and cannot be wiped; the raw keys can.
      for (const k of [signingKey, dataKey, auditKey, issuerMaster]) k.fill(0);
    },
  };
}

/**
 * The CRL blocks of a CRL file (`X509 CRL`), at least one, one string each.
 * Throws KeyFileError (NOT_FOUND, INVALID, IO) naming the path: a center
 * whose CRL cannot be read must not start a broker that checks nothing.
 */
export async function loadCrls(path: string): Promise<string[]> {
  const raw = await readChecked(path, false, MAX_CRL_FILE_BYTES);
  let blocks: string[];
  try {
    blocks = pemBlocks(raw.toString('ascii'), 'X509 CRL');
  } catch (e) {
    throw new KeyFileError('INVALID', `${path}: ${(e as Error).message}`);
  }
  if (blocks.length === 0) throw new KeyFileError('INVALID', `${path}: no X509 CRL block`);
  return blocks;
}

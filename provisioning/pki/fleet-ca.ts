/**
 * Creating the two tiers of the fleet CA (docs/provisioning.md §1):
 * - `initRootCa(ROOTDIR)`: the offline root (self-signed, pathLen 1, 20 years
 *   by default), its empty revocation list and its first CRL (a year);
 * - `initIssuingCa(ROOTDIR, DIR)`: the online issuing CA (pathLen 0, 5 years
 *   by default) signed by the root, in DIR/ca with the trust anchor
 *   (ca.crt = the root), the root's CRL, an empty list, the issuing CA's
 *   first CRL (DEFAULT_CRL_DAYS) and crl.pem (both CRLs).
 *
 * `writeRootCa` / `writeIssuingCa` do the writing into a WrittenFiles, so
 * that the development PKI (dev-pki.ts) can make both in one directory and
 * take everything back on failure. The certificate that marks a complete CA
 * is written last: root.crt for the root, ca.crt (by the caller) for a PKI.
 */
import { mkdir, stat } from 'node:fs/promises';
import { systemClock, type Clock } from '../../common/clock.js';
import { createCa, createSubCa, pemJoin, type Ca, type Random } from './ca.js';
import { loadRootCa } from './ca-files.js';
import { signList } from './crl-state.js';
import { PkiError } from './errors.js';
import { DEFAULT_CRL_DAYS } from './issuing-crl.js';
import { caLayout, rootLayout, type CaFiles, type RootFiles } from './layout.js';
import { DEFAULT_ROOT_CRL_DAYS, signRootCrl } from './root-crl.js';
import { emptyRevocationList, serializeRevocationList } from './revocation-list.js';
import { WrittenFiles } from './written-files.js';

/** Validity of the root CA, in days (20 years). */
export const DEFAULT_ROOT_DAYS = 7300;
/** Validity of the issuing CA, in days (5 years). */
export const DEFAULT_ISSUING_DAYS = 1825;
export const ROOT_CA_NAME = 'Cardline root CA';
export const ISSUING_CA_NAME = 'Cardline issuing CA';

export interface CaCreateOptions {
  name?: string;
  days?: number;
  random: Random;
  clock?: Clock;
}

/** Writes a new root into `root` (mode 0700 directory, key 0600). Returns the root and its first CRL. */
export async function writeRootCa(files: WrittenFiles, root: RootFiles, o: CaCreateOptions): Promise<{ ca: Ca; crlPem: string }> {
  const clock = o.clock ?? systemClock;
  // Made (and its name and validity checked) before anything is written.
  const { ca, keyPem } = await createCa({ name: o.name ?? ROOT_CA_NAME, days: o.days ?? DEFAULT_ROOT_DAYS, random: o.random, clock, pathLen: 1 });
  await mkdir(root.dir, { recursive: true, mode: 0o700 });
  await files.pem(root.key, keyPem, true);
  const list = emptyRevocationList();
  await files.text(root.revoked, serializeRevocationList(list));
  const crlPem = await signList(ca, list, DEFAULT_ROOT_CRL_DAYS, clock);
  await files.pem(root.crl, crlPem, false);
  await files.pem(root.cert, ca.certPem, false);
  return { ca, crlPem };
}

/** Writes a new issuing CA signed by `root` into `ca/` (everything but the anchor ca.crt, which the caller writes last). */
export async function writeIssuingCa(files: WrittenFiles, root: Ca, rootCrlPem: string, ca: CaFiles, o: CaCreateOptions): Promise<Ca> {
  const clock = o.clock ?? systemClock;
  const issuing = await createSubCa({ root, name: o.name ?? ISSUING_CA_NAME, days: o.days ?? DEFAULT_ISSUING_DAYS, random: o.random, clock });
  await mkdir(ca.dir, { recursive: true, mode: 0o700 });
  await files.pem(ca.issuingKey, issuing.keyPem, true);
  await files.pem(ca.issuingCert, issuing.ca.certPem, false);
  await files.pem(ca.rootCrl, rootCrlPem, false);
  const list = emptyRevocationList();
  await files.text(ca.revoked, serializeRevocationList(list));
  const crl = await signList(issuing.ca, list, DEFAULT_CRL_DAYS, clock);
  await files.pem(ca.crl, pemJoin(rootCrlPem, crl), false);
  return issuing.ca;
}

/** `pki root init ROOTDIR`: PkiError EXISTS when ROOTDIR already holds a root (or part of one). */
export async function initRootCa(rootDir: string, o: CaCreateOptions): Promise<{ ca: Ca; files: RootFiles; crlPem: string }> {
  const root = rootLayout(rootDir);
  await refuseExisting([root.cert, root.key, root.crl, root.revoked], rootDir, 'a root CA');
  const files = new WrittenFiles();
  try {
    const { ca, crlPem } = await writeRootCa(files, root, o);
    return { ca, files: root, crlPem };
  } catch (e) {
    await files.rollback();
    throw e;
  }
}

/**
 * `pki issuing init --root ROOTDIR DIR`: the root signs a new issuing CA
 * whose key is born in DIR/ca. The root's CRL is re-signed first if less
 * than half of it remains. PkiError EXISTS when DIR already has a CA.
 */
export async function initIssuingCa(rootDir: string, pkiDir: string, o: CaCreateOptions): Promise<{ ca: Ca; root: Ca; files: CaFiles }> {
  const ca = caLayout(pkiDir);
  await refuseExisting([ca.cert, ca.issuingCert, ca.issuingKey, ca.rootCrl, ca.revoked, ca.crl], pkiDir, 'a CA');
  const { ca: root } = await loadRootCa(rootDir);
  const clock = o.clock ?? systemClock;
  const rootCrl = await signRootCrl(rootDir, { random: o.random, clock });
  const files = new WrittenFiles();
  try {
    const issuing = await writeIssuingCa(files, root, rootCrl.crlPem, ca, o);
    await files.pem(ca.cert, root.certPem, false);
    return { ca: issuing, root, files: ca };
  } catch (e) {
    await files.rollback();
    throw e;
  }
}

async function refuseExisting(paths: string[], dir: string, what: string): Promise<void> {
  for (const path of paths) {
    if (await exists(path)) throw new PkiError('EXISTS', `${dir} already holds ${what} (${path} exists)`);
  }
}

export async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw new PkiError('INVALID_ARGUMENT', `${path}: cannot access (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
  }
}

/**
 * Loading the two CAs from their files (docs/provisioning.md §1), with the
 * checks that make a mixed-up directory fail loudly rather than issue
 * certificates nobody can verify:
 * - the root (ROOTDIR/root.crt + root.key): a CA, self-signed, pathLen 1,
 *   and the key is the certificate's;
 * - the issuing CA (`<pki>/ca/issuing.crt` + `issuing.key`): a CA with
 *   pathLen 0, the key its own, and signed by the trust anchor `ca/ca.crt`.
 */
import { X509Certificate as NodeX509 } from 'node:crypto';
import { KeyFileError, readPemFile } from '../../common/key-files.js';
import { loadCa, type Ca } from './ca.js';
import { PkiError } from './errors.js';
import { caLayout, rootLayout, type CaFiles, type RootFiles } from './layout.js';
import * as x509 from './x509.js';

export interface LoadedIssuing {
  ca: Ca;
  /** The trust anchor `ca/ca.crt` (the root), PEM. */
  rootPem: string;
  root: x509.X509Certificate;
  files: CaFiles;
}

/** The root CA in `rootDir`. PkiError NOT_FOUND / CA_INVALID. */
export async function loadRootCa(rootDir: string): Promise<{ ca: Ca; files: RootFiles }> {
  const files = rootLayout(rootDir);
  const ca = await loadCa(await need(readPemFile(files.cert), 'root CA', rootDir), await need(readPemFile(files.key, { secret: true }), 'root CA', rootDir));
  checkRoot(ca.cert, files.cert);
  return { ca, files };
}

/** The issuing CA of the PKI in `pkiDir`, checked against the anchor. PkiError NOT_FOUND / CA_INVALID. */
export async function loadIssuing(pkiDir: string): Promise<LoadedIssuing> {
  const files = caLayout(pkiDir);
  const rootPem = await need(readPemFile(files.cert), 'trust anchor (ca/ca.crt)', pkiDir);
  const certPem = await need(readPemFile(files.issuingCert), 'issuing CA', pkiDir);
  const keyPem = await need(readPemFile(files.issuingKey, { secret: true }), 'issuing CA', pkiDir);
  const ca = await loadCa(certPem, keyPem);
  let root: x509.X509Certificate;
  try {
    root = new x509.X509Certificate(rootPem);
  } catch {
    throw new PkiError('CA_INVALID', `${files.cert}: not a PEM X.509 certificate`);
  }
  checkRoot(root, files.cert);
  if (ca.cert.getExtension(x509.BasicConstraintsExtension)?.pathLength !== 0) throw new PkiError('CA_INVALID', `${files.issuingCert}: not an issuing CA (pathLen must be 0)`);
  const issuing = new NodeX509(ca.certPem);
  const anchor = new NodeX509(rootPem);
  if (!issuing.checkIssued(anchor) || !issuing.verify(anchor.publicKey)) throw new PkiError('CA_INVALID', `${files.issuingCert} is not signed by the root in ${files.cert}`);
  return { ca, rootPem: root.toString('pem'), root, files };
}

/** A root: a CA, self-signed, pathLen 1. */
function checkRoot(cert: x509.X509Certificate, path: string): void {
  const bc = cert.getExtension(x509.BasicConstraintsExtension);
  if (!bc?.ca) throw new PkiError('CA_INVALID', `${path}: not a CA certificate`);
  const n = new NodeX509(cert.toString('pem'));
  if (!n.checkIssued(n) || !n.verify(n.publicKey)) throw new PkiError('CA_INVALID', `${path}: not a self-signed root`);
  if (bc.pathLength !== 1) throw new PkiError('CA_INVALID', `${path}: a root of two tiers has pathLen 1 (found ${bc.pathLength ?? 'none'}): a PKI from before the two tiers? Create it again`);
}

/** A missing file means there is no such CA here (NOT_FOUND); other key-file errors keep their message. */
async function need<T>(p: Promise<T>, what: string, dir: string): Promise<T> {
  try {
    return await p;
  } catch (e) {
    if (e instanceof KeyFileError && e.code === 'NOT_FOUND') throw new PkiError('NOT_FOUND', `no ${what} in ${dir} (${e.message})`);
    if (e instanceof KeyFileError) throw new PkiError('CA_INVALID', e.message);
    throw e;
  }
}

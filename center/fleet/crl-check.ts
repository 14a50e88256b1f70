/**
 * What the broker may load from `ca/crl.pem` (docs/provisioning.md §1):
 * one CRL signed by the root (`ca/ca.crt`) and one signed by the issuing CA
 * (`ca/issuing.crt`, itself signed by the root), each with a cRLNumber that
 * did not go down since the CRL of the same CA last loaded. Anything else is
 * refused (CrlCheckError), and the follower keeps the CRLs in force: an
 * older CRL, validly signed, copied over the file would otherwise
 * un-revoke every certificate revoked since (RFC 5280 §5.2.3: cRLNumber
 * increases, so a lower one is an older CRL).
 *
 * center/ may not import provisioning/ (center/README.md): the CRLs are read
 * with common/crl-der.ts and the signatures checked with node:crypto.
 */
import { X509Certificate } from 'node:crypto';
import { join } from 'node:path';
import { crlDerOfPem, CrlDerError, crlSignedBy, parseCrlDer } from '../../common/crl-der.js';
import { KeyFileError, readPemFile } from '../../common/key-files.js';

export type CrlCheckErrorCode = 'CA_UNREADABLE' | 'CRL_INVALID' | 'CRL_UNSIGNED' | 'CRL_OLDER';

/** A CRL file the broker must not load; the message names the block and the reason (no key material). */
export class CrlCheckError extends Error {
  constructor(
    readonly code: CrlCheckErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'CrlCheckError';
  }
}

/** The two CAs whose CRLs the broker loads. */
export interface CrlAuthorities {
  root: X509Certificate;
  issuing: X509Certificate;
}

/** cRLNumber of the CRL last loaded, per CA (`root` / `issuing`). */
export type CrlNumbers = Partial<Record<keyof CrlAuthorities, number>>;

/** ca/ca.crt and ca/issuing.crt, the issuing CA checked against the root. CrlCheckError CA_UNREADABLE. */
export async function loadCrlAuthorities(pkiDir: string): Promise<CrlAuthorities> {
  const read = async (name: string): Promise<X509Certificate> => {
    const path = join(pkiDir, 'ca', name);
    try {
      return new X509Certificate(await readPemFile(path, { secret: false }));
    } catch (e) {
      const why = e instanceof KeyFileError ? e.message : `${path}: not a PEM certificate`;
      throw new CrlCheckError('CA_UNREADABLE', why);
    }
  };
  const root = await read('ca.crt');
  const issuing = await read('issuing.crt');
  if (!issuing.checkIssued(root) || !issuing.verify(root.publicKey)) throw new CrlCheckError('CA_UNREADABLE', `${join(pkiDir, 'ca', 'issuing.crt')} is not signed by the root in ca/ca.crt`);
  return { root, issuing };
}

/**
 * Checks the blocks of ca/crl.pem against the two CAs and the numbers last
 * loaded; returns their numbers (what to compare the next file with).
 * CrlCheckError CRL_INVALID (unreadable, no cRLNumber, not one CRL per CA),
 * CRL_UNSIGNED (signed by neither CA), CRL_OLDER (a number went down).
 */
export function checkCrlBlocks(blocks: readonly string[], cas: CrlAuthorities, loaded: CrlNumbers): Required<CrlNumbers> {
  const found: CrlNumbers = {};
  blocks.forEach((block, i) => {
    const what = `CRL block ${i + 1} of ${blocks.length}`;
    const signer = signerOf(block, cas, what);
    const number = signer.number;
    if (found[signer.ca] !== undefined) throw new CrlCheckError('CRL_INVALID', `${what}: a second CRL of the ${signer.ca} CA`);
    const before = loaded[signer.ca];
    if (before !== undefined && number < before) throw new CrlCheckError('CRL_OLDER', `${what}: the ${signer.ca} CA's CRL number ${number} is older than the one loaded (${before})`);
    found[signer.ca] = number;
  });
  if (found.root === undefined || found.issuing === undefined) throw new CrlCheckError('CRL_INVALID', `the file must hold the root's CRL and the issuing CA's (found ${Object.keys(found).join(', ') || 'neither'})`);
  return { root: found.root, issuing: found.issuing };
}

/** The numbers of the blocks that verify (the CRLs a broker was started with); others are left out. */
export function numbersOf(blocks: readonly string[], cas: CrlAuthorities): CrlNumbers {
  const out: CrlNumbers = {};
  for (const block of blocks) {
    try {
      const s = signerOf(block, cas, 'CRL');
      out[s.ca] = Math.max(out[s.ca] ?? 0, s.number);
    } catch {
      // A block that does not verify sets no floor.
    }
  }
  return out;
}

function signerOf(block: string, cas: CrlAuthorities, what: string): { ca: keyof CrlAuthorities; number: number } {
  let ca: keyof CrlAuthorities | undefined;
  let number: number | undefined;
  try {
    const crl = parseCrlDer(crlDerOfPem(block));
    number = crl.crlNumber;
    ca = crlSignedBy(crl, cas.root) ? 'root' : crlSignedBy(crl, cas.issuing) ? 'issuing' : undefined;
  } catch (e) {
    if (e instanceof CrlDerError) throw new CrlCheckError('CRL_INVALID', `${what}: ${e.message}`);
    throw e;
  }
  if (ca === undefined) throw new CrlCheckError('CRL_UNSIGNED', `${what}: not signed by the root (ca/ca.crt) nor by the issuing CA (ca/issuing.crt)`);
  if (number === undefined) throw new CrlCheckError('CRL_INVALID', `${what}: no usable cRLNumber`);
  return { ca, number };
}

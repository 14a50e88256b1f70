/**
 * A CA's revocation state on disk, shared by both tiers (the root's list in
 * ROOTDIR, the issuing CA's in `<pki>/ca/`): reading and writing
 * revoked.json, checking a published CRL, and signing the next one.
 *
 * Everything read is checked before it is used. A CRL must parse, be signed
 * by its CA's key, name the CA as issuer, carry a cRLNumber and a
 * nextUpdate. revoked.json must parse strictly (revocation-list.ts) and must
 * not contradict the CRL last signed from it: every serial that CRL lists
 * must still be in the file, and its number may not be ahead of the file's.
 * A file edited to un-revoke a certificate is therefore refused
 * (STATE_INVALID), not published.
 */
import { X509Certificate as NodeX509Certificate } from 'node:crypto';
import { KeyFileError, readChecked, writeAtomic } from '../../common/key-files.js';
import type { Clock } from '../../common/clock.js';
import { crlDerOfPem, CrlDerError, crlSignedBy, parseCrlDer, subjectDer, type CrlDer } from '../../common/crl-der.js';
import { pemBlocks } from '../../common/pem-blocks.js';
import { createCrl, type Ca } from './ca.js';
import { PkiError } from './errors.js';
import { parseRevocationList, serializeRevocationList, type RevocationList, type RevokedEntry } from './revocation-list.js';
import type * as x509 from './x509.js';

/** Largest revoked.json or CRL file read: MAX_REVOKED entries of the longest kind (20-byte serial, notAfter) fit, ~1.3 MB (test/unit/pki/crl-large.test.ts). */
export const MAX_STATE_BYTES = 2 * 1024 * 1024;

export interface CrlInfo {
  pem: string;
  /** cRLNumber (RFC 5280 §5.2.3). */
  number: number;
  thisUpdate: Date;
  nextUpdate: Date;
  /** Canonical serials it lists. */
  serials: string[];
}

/** revoked.json, parsed strictly. PkiError NOT_FOUND when absent, STATE_INVALID when malformed. */
export async function readList(path: string): Promise<RevocationList> {
  const raw = await readState(path);
  try {
    return parseRevocationList(raw.toString('utf8'), path);
  } finally {
    raw.fill(0);
  }
}

/** Replaces revoked.json atomically (a crash leaves the old file or the new one). */
export async function writeList(path: string, list: RevocationList): Promise<void> {
  await writeAtomic(path, Buffer.from(serializeRevocationList(list), 'utf8'), { secret: false, overwrite: true });
}

/** The PEM blocks of a CRL file (`X509 CRL`). PkiError NOT_FOUND / STATE_INVALID. */
export async function readCrlBlocks(path: string): Promise<string[]> {
  const raw = await readState(path);
  try {
    const blocks = pemBlocks(raw.toString('ascii'), 'X509 CRL');
    if (blocks.length === 0) throw new PkiError('STATE_INVALID', `${path}: no X509 CRL block`);
    return blocks;
  } catch (e) {
    if (e instanceof RangeError) throw new PkiError('STATE_INVALID', `${path}: ${e.message}`);
    throw e;
  }
}

/**
 * Checks that `pem` is a CRL signed by `ca` with a cRLNumber and a nextUpdate. PkiError STATE_INVALID names `what`.
 * Read by common/crl-der.ts, not @peculiar/x509: its parser stops at 10,000 ASN.1 nodes (~1,250 entries).
 */
export function verifyCrl(ca: x509.X509Certificate, pem: string, what: string): CrlInfo {
  let crl: CrlDer;
  const cert = new NodeX509Certificate(Buffer.from(ca.rawData));
  try {
    crl = parseCrlDer(crlDerOfPem(pem));
    if (!crl.issuer.equals(subjectDer(cert))) throw new PkiError('STATE_INVALID', `${what}: not issued by '${ca.subject}'`);
    if (!crlSignedBy(crl, cert)) throw new PkiError('STATE_INVALID', `${what}: signature does not verify with the CA's key`);
  } catch (e) {
    if (e instanceof CrlDerError) throw new PkiError('STATE_INVALID', `${what}: not a CRL we can read (${e.message})`);
    throw e;
  }
  if (!crl.nextUpdate) throw new PkiError('STATE_INVALID', `${what}: no nextUpdate`);
  if (crl.crlNumber === undefined) throw new PkiError('STATE_INVALID', `${what}: no usable cRLNumber`);
  return { pem, number: crl.crlNumber, thisUpdate: crl.thisUpdate, nextUpdate: crl.nextUpdate, serials: crl.serials };
}

/** The list may only be ahead of the CRL signed from it (more entries, higher number), never behind. */
export function checkListCovers(list: RevocationList, crl: CrlInfo, what: string): void {
  if (crl.number > list.crlNumber) throw new PkiError('STATE_INVALID', `${what}: the published CRL is number ${crl.number}, revoked.json says ${list.crlNumber}`);
  const listed = new Set(list.revoked.map((e) => e.serial));
  const missing = crl.serials.filter((s) => !listed.has(s));
  if (missing.length > 0) throw new PkiError('STATE_INVALID', `${what}: revoked.json lacks ${missing.length} serial(s) the published CRL lists (first: ${missing[0]})`);
}

/**
 * The CRL for `list` (number list.crlNumber), signed by `ca`, nextUpdate `days` from now; PEM framed as pemBlocks frames it.
 * It lists `entries` (default: all of the list's; revocation-list.ts pruneExpired leaves expired ones off).
 */
export async function signList(ca: Ca, list: RevocationList, days: number, clock: Clock, entries: readonly RevokedEntry[] = list.revoked): Promise<string> {
  const pem = await createCrl(
    ca,
    entries.map((e) => ({ serial: e.serial, date: new Date(e.date), reason: e.reason })),
    { clock, days, number: list.crlNumber },
  );
  const [block] = pemBlocks(pem, 'X509 CRL');
  if (block === undefined) throw new PkiError('STATE_INVALID', 'the CRL just signed has no PEM block');
  return block;
}

/** True when less than half of the CRL's validity (thisUpdate → nextUpdate) remains at `now`. */
export function pastHalfLife(crl: CrlInfo, now: number): boolean {
  const span = crl.nextUpdate.getTime() - crl.thisUpdate.getTime();
  return crl.nextUpdate.getTime() - now < span / 2;
}

async function readState(path: string): Promise<Buffer> {
  try {
    return await readChecked(path, false, MAX_STATE_BYTES);
  } catch (e) {
    if (e instanceof KeyFileError && e.code === 'NOT_FOUND') throw new PkiError('NOT_FOUND', e.message);
    if (e instanceof KeyFileError) throw new PkiError('STATE_INVALID', e.message);
    throw e;
  }
}

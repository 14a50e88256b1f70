/**
 * What `cardline pki status` reports about a PKI directory: both CAs'
 * validity, the two CRLs brokers load from ca/crl.pem (number, nextUpdate,
 * entries), the revocation list, and whether anything has expired (an
 * expired CRL locks every client out, docs/pki.md). Read-only, so no lock:
 * every file it reads is replaced atomically by its writers. Each file is
 * checked as when it is used (signatures included).
 */
import type { Clock } from '../../common/clock.js';
import { loadIssuing } from './ca-files.js';
import { checkListCovers, pastHalfLife, readCrlBlocks, readList, verifyCrl, type CrlInfo } from './crl-state.js';
import { PkiError } from './errors.js';
import { MAX_REVOKED } from './revocation-list.js';
import type * as x509 from './x509.js';

/** Share of MAX_REVOKED above which `pki status` warns. */
export const NEAR_LIMIT = 0.8;

export interface CaStatus {
  subject: string;
  /** Lower-case hex. */
  serial: string;
  notBefore: string;
  notAfter: string;
  expired: boolean;
}

export interface CrlStatus {
  number: number;
  thisUpdate: string;
  nextUpdate: string;
  entries: number;
  expired: boolean;
  /** Less than half of its validity remains: the center (or `pki crl`) re-signs it. */
  dueForResign: boolean;
}

export interface PkiStatus {
  dir: string;
  root: CaStatus;
  issuing: CaStatus;
  rootCrl: CrlStatus;
  issuingCrl: CrlStatus;
  /** Entries in ca/revoked.json. */
  revoked: number;
  /** revoked.json is ahead of the published CRL (a revocation not yet signed): run `pki crl`. */
  unpublished: boolean;
  /** Most entries revoked.json may hold (revocation-list.ts MAX_REVOKED). */
  revokedLimit: number;
  /** Things to act on before they fail, one sentence each (the list above 80 % of revokedLimit). */
  warnings: string[];
  /** Anything expired: a CA or a CRL. */
  expired: boolean;
}

/** The status of the PKI in `pkiDir`. PkiError NOT_FOUND / CA_INVALID / STATE_INVALID. */
export async function pkiStatus(pkiDir: string, clock: Clock): Promise<PkiStatus> {
  const now = clock.now();
  const issuing = await loadIssuing(pkiDir);
  const f = issuing.files;
  const list = await readList(f.revoked);
  const blocks = await readCrlBlocks(f.crl);
  if (blocks.length !== 2) throw new PkiError('STATE_INVALID', `${f.crl}: holds ${blocks.length} CRLs, not 2 (root, then issuing CA)`);
  const rootCrl = verifyCrl(issuing.root, blocks[0]!, `${f.crl} (root CRL)`);
  const issuingCrl = verifyCrl(issuing.ca.cert, blocks[1]!, `${f.crl} (issuing CA CRL)`);
  // A revoked.json that lost entries the published CRL lists is reported, not summarized.
  checkListCovers(list, issuingCrl, f.revoked);
  const s: PkiStatus = {
    dir: pkiDir,
    root: caStatus(issuing.root, now),
    issuing: caStatus(issuing.ca.cert, now),
    rootCrl: crlStatus(rootCrl, now),
    issuingCrl: crlStatus(issuingCrl, now),
    revoked: list.revoked.length,
    unpublished: list.crlNumber !== issuingCrl.number,
    revokedLimit: MAX_REVOKED,
    warnings: [],
    expired: false,
  };
  if (list.revoked.length > NEAR_LIMIT * MAX_REVOKED) {
    s.warnings.push(`revoked.json lists ${list.revoked.length} of at most ${MAX_REVOKED} certificates: further revocations will be refused at the limit (see docs/pki.md, "The CRLs")`);
  }
  s.expired = s.root.expired || s.issuing.expired || s.rootCrl.expired || s.issuingCrl.expired;
  return s;
}

function caStatus(c: x509.X509Certificate, now: number): CaStatus {
  return {
    subject: c.subject,
    serial: c.serialNumber.toLowerCase(),
    notBefore: c.notBefore.toISOString(),
    notAfter: c.notAfter.toISOString(),
    expired: now > c.notAfter.getTime(),
  };
}

function crlStatus(c: CrlInfo, now: number): CrlStatus {
  return {
    number: c.number,
    thisUpdate: c.thisUpdate.toISOString(),
    nextUpdate: c.nextUpdate.toISOString(),
    entries: c.serials.length,
    expired: now > c.nextUpdate.getTime(),
    dueForResign: pastHalfLife(c, now),
  };
}

/**
 * Revocation and CRL publication by the online issuing CA
 * (docs/provisioning.md §1, §4): `ca/revoked.json` is the list, `ca/crl.pem`
 * what brokers load — the root's CRL (copied from `ca/root-crl.pem`,
 * signed offline) followed by the issuing CA's CRL.
 *
 * Every change runs under the CA's lock (lock-file.ts), in this order:
 * revoked.json (atomic), then crl.pem (atomic). A crash between the two
 * leaves a list one number ahead of the published CRL; the next call sees
 * the mismatch and signs again, so a revocation is never lost and never
 * half-published.
 */
import type { Clock } from '../../common/clock.js';
import { writePemFile } from '../../common/key-files.js';
import { pemJoin, type Random, type RevocationReason } from './ca.js';
import { loadIssuing, type LoadedIssuing } from './ca-files.js';
import { checkListCovers, pastHalfLife, readCrlBlocks, readList, signList, verifyCrl, writeList, type CrlInfo } from './crl-state.js';
import { PkiError } from './errors.js';
import { caLayout } from './layout.js';
import { withLock } from './lock-file.js';
import { canonicalSerial, checkReason, pruneExpired, withEntries, type RevocationList } from './revocation-list.js';

/** nextUpdate of the issuing CA's CRL, in days. A running center re-signs when less than half remains. */
export const DEFAULT_CRL_DAYS = 7;

export interface CrlWriteOptions {
  random: Random;
  clock: Clock;
}

export interface RevokedSerials {
  /** The new text of ca/crl.pem: the root's CRL, then the issuing CA's. */
  crlPem: string;
  /** The same, one PEM string per CRL: what `RunningBroker.reloadCrl` takes (Node reads one CRL per string). */
  crls: string[];
  /** The serials this call put on the list (canonical hex); empty when all were already there. */
  added: string[];
}

export interface PublishedCrl {
  /** True when ca/crl.pem was rewritten (re-signed, or the root's CRL replaced): reload the brokers. */
  republished: boolean;
  /** nextUpdate of the issuing CA's CRL now published. */
  nextUpdate: Date;
  /** cRLNumber of that CRL. */
  number: number;
  /** ca/crl.pem, one PEM string per CRL. */
  crls: string[];
}

/**
 * Puts `entries` on the issuing CA's CRL: idempotent per serial (a serial
 * already listed keeps its first date and reason, and nothing is re-signed
 * for it). `notAfter`, the certificate's when known, is kept in revoked.json
 * (filled in for a listed entry without one): the entry is pruned once the
 * certificate has expired (revocation-list.ts pruneExpired). PkiError
 * INVALID_ARGUMENT (serial, reason, notAfter), NOT_FOUND, CA_INVALID,
 * STATE_INVALID (revoked.json or a CRL malformed or contradicting), BUSY.
 */
export async function revokeSerials(pkiDir: string, entries: readonly { serial: string; reason: RevocationReason; notAfter?: Date }[], o: CrlWriteOptions): Promise<RevokedSerials> {
  const wanted = entries.map((e) => ({ serial: canonicalSerial(e.serial), reason: checkReason(e.reason), ...(e.notAfter === undefined ? {} : { notAfter: e.notAfter }) }));
  return withLock(caLayout(pkiDir).lock, o, async () => {
    const s = await loadState(pkiDir, false);
    const { list, added, filled } = withEntries(s.list, wanted, o.clock.now());
    if (added.length === 0 && filled === 0 && s.current && s.current.number === s.list.crlNumber && s.rootBlock === s.rootCrl.pem) {
      const crls = [s.rootBlock, s.current.pem];
      return { crlPem: pemJoin(...crls), crls, added: [] };
    }
    const crls = await resign(s, list, o.clock);
    return { crlPem: pemJoin(...crls), crls, added: added.map((e) => e.serial) };
  });
}

/**
 * Publishes the CRL: re-signs the issuing CA's CRL (cRLNumber + 1, nextUpdate
 * DEFAULT_CRL_DAYS out) when less than half of its validity remains, when
 * revoked.json is ahead of it, or with `force`; and rewrites ca/crl.pem when
 * ca/root-crl.pem holds a newer root CRL. `force` also rebuilds a missing
 * crl.pem from revoked.json.
 */
export async function publishCrl(pkiDir: string, o: CrlWriteOptions & { force?: boolean }): Promise<PublishedCrl> {
  return withLock(caLayout(pkiDir).lock, o, async () => {
    const s = await loadState(pkiDir, o.force === true);
    if (o.force === true || !s.current || s.current.number !== s.list.crlNumber || pastHalfLife(s.current, o.clock.now())) {
      const crls = await resign(s, s.list, o.clock);
      const info = verifyCrl(s.issuing.ca.cert, crls[1]!, 'the new CRL');
      return { republished: true, nextUpdate: info.nextUpdate, number: info.number, crls };
    }
    const crls = [s.rootCrl.pem, s.current.pem];
    if (s.rootBlock !== s.rootCrl.pem) await writePemFile(s.issuing.files.crl, pemJoin(...crls), { secret: false, overwrite: true });
    return { republished: s.rootBlock !== s.rootCrl.pem, nextUpdate: s.current.nextUpdate, number: s.current.number, crls };
  });
}

interface State {
  issuing: LoadedIssuing;
  list: RevocationList;
  /** ca/root-crl.pem, checked. */
  rootCrl: CrlInfo;
  /** The root block now in ca/crl.pem ('' when the file is missing). */
  rootBlock: string;
  /** The issuing CA's CRL now in ca/crl.pem (undefined when the file is missing and that is allowed). */
  current: CrlInfo | undefined;
}

async function loadState(pkiDir: string, allowMissingCrl: boolean): Promise<State> {
  const issuing = await loadIssuing(pkiDir);
  const f = issuing.files;
  const list = await readList(f.revoked);
  const rootBlocks = await readCrlBlocks(f.rootCrl);
  if (rootBlocks.length !== 1) throw new PkiError('STATE_INVALID', `${f.rootCrl}: holds ${rootBlocks.length} CRLs, not 1`);
  const rootCrl = verifyCrl(issuing.root, rootBlocks[0]!, f.rootCrl);
  let blocks: string[];
  try {
    blocks = await readCrlBlocks(f.crl);
  } catch (e) {
    if (e instanceof PkiError && e.code === 'NOT_FOUND') {
      if (allowMissingCrl) return { issuing, list, rootCrl, rootBlock: '', current: undefined };
      throw new PkiError('NOT_FOUND', `${f.crl} is missing: 'cardline pki crl --force' rebuilds it from revoked.json`);
    }
    throw e;
  }
  if (blocks.length !== 2) throw new PkiError('STATE_INVALID', `${f.crl}: holds ${blocks.length} CRLs, not 2 (root, then issuing CA)`);
  const published = verifyCrl(issuing.root, blocks[0]!, `${f.crl} (root CRL)`);
  if (rootCrl.number < published.number) throw new PkiError('STATE_INVALID', `${f.rootCrl}: root CRL number ${rootCrl.number} is older than the one published (${published.number})`);
  const current = verifyCrl(issuing.ca.cert, blocks[1]!, `${f.crl} (issuing CA CRL)`);
  checkListCovers(list, current, f.revoked);
  return { issuing, list, rootCrl, rootBlock: blocks[0]!, current };
}

/**
 * Signs the next CRL from `list`: revoked.json first, then crl.pem. Returns crl.pem's blocks.
 * Expired certificates leave the CRL, then the list (revocation-list.ts pruneExpired).
 */
async function resign(s: State, list: RevocationList, clock: Clock): Promise<string[]> {
  const pruned = pruneExpired(list, s.current);
  const next: RevocationList = { ...pruned.list, crlNumber: Math.max(list.crlNumber, s.current?.number ?? 0) + 1 };
  await writeList(s.issuing.files.revoked, next);
  const crl = await signList(s.issuing.ca, next, DEFAULT_CRL_DAYS, clock, pruned.onCrl);
  const crls = [s.rootCrl.pem, crl];
  await writePemFile(s.issuing.files.crl, pemJoin(...crls), { secret: false, overwrite: true });
  return crls;
}

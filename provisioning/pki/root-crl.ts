/**
 * The root's CRL (docs/provisioning.md §1): it lists revoked issuing CAs and
 * is signed offline, where the root key lives (ROOTDIR/root-crl.pem, its
 * list in ROOTDIR/revoked.json, under ROOTDIR's lock). A year by default:
 * an expired root CRL locks every client out (OpenSSL checks the whole
 * chain), so the operator re-signs it yearly (`cardline pki root crl`) and
 * copies it to each PKI's `ca/root-crl.pem`, then `cardline pki crl`
 * republishes `ca/crl.pem`.
 */
import type { Clock } from '../../common/clock.js';
import { writePemFile } from '../../common/key-files.js';
import type { Random, RevocationReason } from './ca.js';
import { loadRootCa } from './ca-files.js';
import { checkListCovers, pastHalfLife, readCrlBlocks, readList, signList, verifyCrl, writeList, type CrlInfo } from './crl-state.js';
import { PkiError } from './errors.js';
import { rootLayout } from './layout.js';
import { withLock } from './lock-file.js';
import { canonicalSerial, checkReason, withEntries } from './revocation-list.js';

/** nextUpdate of the root's CRL, in days. */
export const DEFAULT_ROOT_CRL_DAYS = 365;

export interface RootCrlOptions {
  /** Issuing CAs to revoke (their certificate serials). */
  revoke?: readonly { serial: string; reason: RevocationReason }[];
  /** nextUpdate in days (default DEFAULT_ROOT_CRL_DAYS). */
  days?: number;
  /** Sign a new CRL even when the current one is fresh and nothing was added. */
  force?: boolean;
  random: Random;
  clock: Clock;
}

export interface RootCrl {
  /** ROOTDIR/root-crl.pem, one PEM block. */
  crlPem: string;
  number: number;
  nextUpdate: Date;
  /** Serials this call added. */
  added: string[];
  /** Whether a new CRL was signed. */
  resigned: boolean;
}

/**
 * The root's current CRL, re-signed (cRLNumber + 1) when something was
 * added, when less than half of its validity remains, or with `force`.
 * PkiError NOT_FOUND / CA_INVALID / STATE_INVALID / BUSY / INVALID_ARGUMENT.
 */
export async function signRootCrl(rootDir: string, o: RootCrlOptions): Promise<RootCrl> {
  const wanted = (o.revoke ?? []).map((e) => ({ serial: canonicalSerial(e.serial), reason: checkReason(e.reason) }));
  const days = o.days ?? DEFAULT_ROOT_CRL_DAYS;
  return withLock(rootLayout(rootDir).lock, o, async () => {
    const { ca, files } = await loadRootCa(rootDir);
    const list = await readList(files.revoked);
    let current: CrlInfo | undefined;
    try {
      const blocks = await readCrlBlocks(files.crl);
      if (blocks.length !== 1) throw new PkiError('STATE_INVALID', `${files.crl}: holds ${blocks.length} CRLs, not 1`);
      current = verifyCrl(ca.cert, blocks[0]!, files.crl);
      checkListCovers(list, current, files.revoked);
    } catch (e) {
      if (!(e instanceof PkiError && e.code === 'NOT_FOUND' && o.force === true)) throw e;
    }
    const { list: withNew, added } = withEntries(list, wanted, o.clock.now());
    if (current && o.force !== true && added.length === 0 && current.number === list.crlNumber && !pastHalfLife(current, o.clock.now())) {
      return { crlPem: current.pem, number: current.number, nextUpdate: current.nextUpdate, added: [], resigned: false };
    }
    const next = { ...withNew, crlNumber: Math.max(list.crlNumber, current?.number ?? 0) + 1 };
    await writeList(files.revoked, next);
    const crlPem = await signList(ca, next, days, o.clock);
    await writePemFile(files.crl, crlPem, { secret: false, overwrite: true });
    const info = verifyCrl(ca.cert, crlPem, 'the new root CRL');
    return { crlPem, number: info.number, nextUpdate: info.nextUpdate, added: added.map((e) => e.serial), resigned: true };
  });
}

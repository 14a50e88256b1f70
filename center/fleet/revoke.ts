/**
 * Revocation (docs/provisioning.md §4; issue 7 point 4): the kiosk's status
 * and its certificates change in one transaction with their audit entries
 * (`kiosk.status`, `kiosk.certs-revoked`) and the end of its jobs; then,
 * right after that commit, the kiosk's live connection is closed; then the
 * serials go on the CRL (`revokeSerials`, which may wait for the CA's lock)
 * and the broker reloads it. The kick does not wait for the CRL step: a
 * revoked kiosk is refused at CONNECT anyway (admission.ts), the CRL makes
 * the refusal happen at TLS.
 */
import { revokeKioskCerts } from '../certs.js';
import type { CenterDeps } from '../deps.js';
import { setKioskStatus, type RegistryDeps } from '../registry.js';
import type { Sql } from '../store/db.js';
import type { CrlReason } from './ca.js';
import type { RevokeOutcome } from './state.js';


export interface RevokeOptions {
  status?: 'revoked' | 'decommissioned';
  /** Runs in the same transaction (the console's `console.action`, the decommission's entry). */
  also?: (tx: Sql) => Promise<void>;
}

/**
 * The registry's part, shared with the CLI (which runs it offline): the
 * status (setKioskStatus: KIOSK_UNKNOWN, KIOSK_UNCHANGED) and every
 * unexpired certificate of the kiosk marked revoked with its CRL reason
 * (kiosk_certs.revocation_reason; the operator's reason is in the
 * `kiosk.status` entry), in one transaction with their audit entries and
 * `also`. Resolves with the serials for the CRL.
 */
export async function revokeInRegistry(deps: RegistryDeps, id: string, reason: string, o: RevokeOptions = {}): Promise<string[]> {
  let serials: string[] = [];
  const status = o.status ?? 'revoked';
  await setKioskStatus(deps, id, status, reason, async (tx) => {
    serials = await revokeKioskCerts(tx, id, crlReasonOf(status), new Date(deps.clock.now()));
    if (serials.length > 0) await deps.audit.append(tx, { kind: 'kiosk.certs-revoked', kiosk: id, detail: { serials: serials.join(' '), count: serials.length } });
    await o.also?.(tx);
  });
  return serials;
}

export interface CrlEntry {
  serial: string;
  reason: CrlReason;
  /** The certificate's end (kiosk_certs.not_after): the CA may drop the entry after it. */
  notAfter: Date;
}

const CRL_REASONS: readonly string[] = ['privilegeWithdrawn', 'cessationOfOperation', 'superseded'] satisfies CrlReason[];

/**
 * The revoked, unexpired certificates (what must be on the CRL) of one
 * kiosk, or of all, each with the reason it was revoked with. A row from
 * before the reason was recorded per certificate (an operator's text) gets
 * `superseded` when superseded, else its kiosk's (crlReasonOf).
 */
export async function revokedEntriesOf(db: Sql, now: Date, kiosk?: string): Promise<CrlEntry[]> {
  const r = await db.query<{ serial: string; state: string; revocation_reason: string | null; not_after: Date; status: string }>(
    `SELECT c.serial, c.state, c.revocation_reason, c.not_after, k.status FROM kiosk_certs c JOIN kiosks k ON k.id = c.kiosk_id
      WHERE c.revoked_at IS NOT NULL AND c.not_after > $1 AND ($2::text IS NULL OR c.kiosk_id = $2) ORDER BY c.serial`,
    [now, kiosk ?? null],
  );
  return r.rows.map((c) => {
    const recorded = c.revocation_reason !== null && CRL_REASONS.includes(c.revocation_reason) ? (c.revocation_reason as CrlReason) : undefined;
    const reason = recorded ?? (c.state === 'superseded' ? 'superseded' : crlReasonOf(c.status === 'decommissioned' ? 'decommissioned' : 'revoked'));
    return { serial: c.serial, reason, notAfter: c.not_after };
  });
}

/** The CRL reason of a kiosk's revocation. */
export function crlReasonOf(status: 'revoked' | 'decommissioned'): CrlReason {
  return status === 'decommissioned' ? 'cessationOfOperation' : 'privilegeWithdrawn';
}

export async function revokeKiosk(deps: CenterDeps, id: string, reason: string, o: RevokeOptions = {}): Promise<RevokeOutcome> {
  const mine = !deps.fleet.inHand.has(id);
  deps.fleet.inHand.add(id);
  try {
    return await revokeHere(deps, id, reason, o);
  } finally {
    if (mine) deps.fleet.inHand.delete(id);
  }
}

async function revokeHere(deps: CenterDeps, id: string, reason: string, o: RevokeOptions): Promise<RevokeOutcome> {
  const serials = await revokeInRegistry(deps, id, reason, o);
  // The kick first (docs/provisioning.md §4: closed within 1 s): the CRL step may wait up to 10 s for the CA's lock, then sign.
  const log = deps.logger.child('fleet');
  const kicked = await (deps.fleet.link?.disconnect(id) ?? Promise.resolve(false)).catch((e: unknown) => {
    log.error('closing the revoked kiosk\'s connection failed', { kiosk: id, error: e });
    return false;
  });
  // The CRL entries of what this revocation changed, each with its reason and its certificate's end.
  const mine = new Set(serials);
  const entries = serials.length === 0 ? [] : (await revokedEntriesOf(deps.db, new Date(deps.clock.now()), id)).filter((e) => mine.has(e.serial));
  const crl = await putOnCrl(deps, entries);
  log.info(`kiosk ${o.status ?? 'revoked'}`, { kiosk: id, certs: serials.length, crl, kicked });
  return { serials, crl, kicked };
}

/**
 * Puts the entries on the CRL (each serial with its reason and its
 * certificate's end) and has the broker load it. Never throws: a failure is
 * logged (error) and reported as 'failed'; the fleet watcher's hourly pass
 * puts every revoked certificate on the CRL again.
 */
export async function putOnCrl(deps: CenterDeps, entries: readonly CrlEntry[]): Promise<RevokeOutcome['crl']> {
  if (entries.length === 0) return 'none';
  const log = deps.logger.child('fleet');
  const ca = deps.fleet.ca;
  if (!ca) {
    log.warn('no issuing CA given to this center: certificates not put on the CRL', { count: entries.length });
    return 'no-ca';
  }
  try {
    await ca.revokeSerials(
      deps.fleet.pkiDir,
      entries.map((e) => ({ serial: e.serial, reason: e.reason, notAfter: e.notAfter })),
      { random: deps.random, clock: deps.clock },
    );
    await deps.fleet.link?.crl.refresh();
    return 'updated';
  } catch (e) {
    log.error('putting certificates on the CRL failed', { count: entries.length, error: e });
    return 'failed';
  }
}

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
 * unexpired certificate of the kiosk marked revoked, in one transaction with
 * their audit entries and `also`. Resolves with the serials for the CRL.
 */
export async function revokeInRegistry(deps: RegistryDeps, id: string, reason: string, o: RevokeOptions = {}): Promise<string[]> {
  let serials: string[] = [];
  await setKioskStatus(deps, id, o.status ?? 'revoked', reason, async (tx) => {
    serials = await revokeKioskCerts(tx, id, reason, new Date(deps.clock.now()));
    if (serials.length > 0) await deps.audit.append(tx, { kind: 'kiosk.certs-revoked', kiosk: id, detail: { serials: serials.join(' '), count: serials.length } });
    await o.also?.(tx);
  });
  return serials;
}

/** The serials of the kiosk's certificates that are revoked and unexpired (what must be on the CRL). */
export async function revokedSerialsOf(db: Sql, id: string, now: Date): Promise<string[]> {
  const r = await db.query<{ serial: string }>(`SELECT serial FROM kiosk_certs WHERE kiosk_id = $1 AND revoked_at IS NOT NULL AND not_after > $2 ORDER BY serial`, [id, now]);
  return r.rows.map((row) => row.serial);
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
  const status = o.status ?? 'revoked';
  const serials = await revokeInRegistry(deps, id, reason, o);
  // The kick first (docs/provisioning.md §4: closed within 1 s): the CRL step may wait up to 10 s for the CA's lock, then sign.
  const log = deps.logger.child('fleet');
  const kicked = await (deps.fleet.link?.disconnect(id) ?? Promise.resolve(false)).catch((e: unknown) => {
    log.error('closing the revoked kiosk\'s connection failed', { kiosk: id, error: e });
    return false;
  });
  const crl = await putOnCrl(deps, serials, crlReasonOf(status));
  log.info(`kiosk ${status}`, { kiosk: id, certs: serials.length, crl, kicked });
  return { serials, crl, kicked };
}

/**
 * Puts `serials` on the CRL and has the broker load it. Never throws: a
 * failure is logged (error) and reported as 'failed'; the fleet watcher's
 * hourly pass puts every revoked certificate on the CRL again.
 */
export async function putOnCrl(deps: CenterDeps, serials: string[], reason: CrlReason): Promise<RevokeOutcome['crl']> {
  if (serials.length === 0) return 'none';
  const log = deps.logger.child('fleet');
  const ca = deps.fleet.ca;
  if (!ca) {
    log.warn('no issuing CA given to this center: certificates not put on the CRL', { count: serials.length });
    return 'no-ca';
  }
  try {
    await ca.revokeSerials(
      deps.fleet.pkiDir,
      serials.map((serial) => ({ serial, reason })),
      { random: deps.random, clock: deps.clock },
    );
    await deps.fleet.link?.crl.refresh();
    return 'updated';
  } catch (e) {
    log.error('putting certificates on the CRL failed', { count: serials.length, error: e });
    return 'failed';
  }
}

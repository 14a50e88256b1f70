/**
 * Waiting for a decommissioned kiosk's `wiped` (docs/provisioning.md §4)
 * when several workers share the broker (issue 6): the report is an up
 * message, and the shared subscription hands it to one worker — not
 * necessarily the one that told the kiosk to wipe. That worker audits it
 * (`kiosk.wiped`, handlers.ts onWiped), so the waiting one watches for the
 * entry as well as for the report in its own process (WipeWaiters).
 *
 * Ends at the first of: the report here; a `kiosk.wiped` entry for the
 * kiosk appended since the wait began; the kiosk gone (then the audit is
 * still watched for WIPE_GONE_GRACE_MS: the agent stops right after
 * sending its report, and the worker handling it may not have committed
 * yet); `ms` of the clock.
 */
import type { CenterDeps } from '../deps.js';
import type { Sql } from '../store/db.js';
import type { WipeOutcome } from './state.js';

export const WIPE_POLL_MS = 200;
export const WIPE_GONE_GRACE_MS = 2_000;

export interface WipeWait {
  /** The outcome; starts at once (before the message is sent, so a quick report is not missed). */
  readonly outcome: Promise<WipeOutcome>;
}

/** Starts waiting; call before sending `decommission`. */
export async function startWipeWait(deps: Pick<CenterDeps, 'db' | 'clock' | 'fleet'>, kiosk: string, ms: number): Promise<WipeWait> {
  const from = await auditSize(deps.db);
  const start = deps.clock.now();
  const here = deps.fleet.wipes.wait(kiosk, ms, deps.clock);
  const outcome = (async (): Promise<WipeOutcome> => {
    const polling = new AbortController();
    let first: WipeOutcome;
    try {
      first = await Promise.race([here, pollAudit(deps, kiosk, from, start + ms, polling.signal).then((o) => o ?? here)]);
    } finally {
      polling.abort();
    }
    if (first.kind !== 'gone') return first;
    const grace = new AbortController();
    return (await pollAudit(deps, kiosk, from, Math.min(start + ms, deps.clock.now() + WIPE_GONE_GRACE_MS), grace.signal)) ?? first;
  })();
  return { outcome };
}

async function auditSize(db: Sql): Promise<number> {
  const r = await db.query<{ size: number }>('SELECT size FROM audit_head WHERE id = 1');
  return r.rows[0]?.size ?? 0;
}

/** The kiosk's `kiosk.wiped` entry from index `from` on, polled until `until` (clock ms) or `signal`. */
async function pollAudit(deps: Pick<CenterDeps, 'db' | 'clock'>, kiosk: string, from: number, until: number, signal: AbortSignal): Promise<WipeOutcome | undefined> {
  while (!signal.aborted) {
    // A failed query counts as nothing found yet: the report heard here and the clock still end the wait.
    const r = await deps.db
      .query<{ entry: string }>(`SELECT entry FROM audit_entries WHERE idx >= $1 AND (entry::jsonb)->>'kind' = 'kiosk.wiped' AND (entry::jsonb)->>'kiosk' = $2 ORDER BY idx LIMIT 1`, [from, kiosk])
      .catch(() => ({ rows: [] as { entry: string }[] }));
    const row = r.rows[0];
    if (row) return { kind: 'wiped', ok: (JSON.parse(row.entry) as { detail?: { ok?: unknown } }).detail?.ok === true };
    const left = until - deps.clock.now();
    if (left <= 0) return undefined;
    try {
      await deps.clock.sleep(Math.min(WIPE_POLL_MS, left), signal);
    } catch {
      return undefined;
    }
  }
  return undefined;
}

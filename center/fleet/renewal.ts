/**
 * When the center asks a kiosk to renew its TLS certificate
 * (docs/provisioning.md §3): its current certificate ends within
 * `renewBeforeDays`, or an operator asked (`renew_requested_at`). Asked at
 * each hello and on the fleet watcher's hourly pass, at most once per
 * session per hour. The decision is pure; the tracker is in memory (a
 * center restart may ask once more, which the kiosk handles as any renew).
 */
import type { Sql } from '../store/db.js';

export const DAY_MS = 86_400_000;
export const RENEW_EVERY_MS = 3_600_000;

export interface RenewalFacts {
  now: number;
  /** The end of the current certificate, when the center knows it. */
  notAfter: Date | null;
  renewRequestedAt: Date | null;
  renewBeforeDays: number;
}

/** Why the kiosk should renew now, or undefined when it need not. */
export function renewalReason(f: RenewalFacts): 'requested' | 'expiring' | undefined {
  if (f.renewRequestedAt !== null) return 'requested';
  if (f.notAfter !== null && f.notAfter.getTime() - f.now <= f.renewBeforeDays * DAY_MS) return 'expiring';
  return undefined;
}

/** At most one `renew` per session per hour. */
export class RenewalTracker {
  private readonly asked = new Map<string, number>();

  constructor(private readonly maxSessions = 10_000) {}

  /** True (and recorded) when `session` may be asked now. */
  take(session: string, now: number): boolean {
    const last = this.asked.get(session);
    if (last !== undefined && now - last < RENEW_EVERY_MS) return false;
    this.asked.delete(session);
    this.asked.set(session, now);
    while (this.asked.size > this.maxSessions) {
      const oldest = this.asked.keys().next().value;
      if (oldest === undefined) break;
      this.asked.delete(oldest);
    }
    return true;
  }

  /** Whether `session` was sent a `renew` (and not forgotten since): its `csr` answers a request. */
  wasAsked(session: string): boolean {
    return this.asked.has(session);
  }

  /** An operator asked again: the next check may ask this session at once. */
  forget(session: string): void {
    this.asked.delete(session);
  }
}

/** What renewalReason needs of the registry: the current certificate's end (kiosk_certs, else kiosks.cert_not_after). */
export async function renewalFactsOf(db: Sql, kiosk: string): Promise<{ notAfter: Date | null; renewRequestedAt: Date | null } | undefined> {
  const r = await db.query<{ not_after: Date | null; cert_not_after: Date | null; renew_requested_at: Date | null }>(
    `SELECT (SELECT c.not_after FROM kiosk_certs c WHERE c.kiosk_id = k.id AND c.state = 'current') AS not_after, k.cert_not_after, k.renew_requested_at
       FROM kiosks k WHERE k.id = $1 AND k.status = 'active'`,
    [kiosk],
  );
  const row = r.rows[0];
  if (!row) return undefined;
  return { notAfter: row.not_after ?? row.cert_not_after, renewRequestedAt: row.renew_requested_at };
}

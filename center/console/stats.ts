/**
 * `GET /api/stats?minutes=M` (docs/screens.md): cards issued and jobs
 * failed in each of the last M minutes (oldest first, every minute present),
 * and the latency of the jobs issued in that window: milliseconds from the
 * customer's request (the job's last move to RESERVED, `jobs.reserved_at`)
 * to its move to ISSUED, as p50, p90 and p99 (nearest rank,
 * percentile_disc). Not from the job's creation: that is when the
 * application was added, days before the customer came.
 */
import type { Clock } from '../../common/clock.js';
import type { Sql } from '../store/db.js';
import { intParam } from './jobs-view.js';

export const STATS_MINUTES = { default: 60, max: 1440 } as const;
const MINUTE = 60_000;

export interface Stats {
  perMinute: { minute: string; issued: number; failed: number }[];
  latency: { count: number; p50: number | null; p90: number | null; p99: number | null };
}

export async function statsView(db: Sql, clock: Clock, q: URLSearchParams): Promise<Stats> {
  const minutes = intParam(q, 'minutes', STATS_MINUTES.default, 1, STATS_MINUTES.max);
  const end = Math.floor(clock.now() / MINUTE) * MINUTE + MINUTE;
  const from = new Date(end - minutes * MINUTE);
  const buckets = await db.query<{ minute: Date; issued: number; failed: number }>(
    `SELECT date_trunc('minute', updated_at) AS minute,
            count(*) FILTER (WHERE state = 'ISSUED')::int AS issued,
            count(*) FILTER (WHERE state = 'FAILED')::int AS failed
     FROM jobs WHERE state IN ('ISSUED', 'FAILED') AND updated_at >= $1 GROUP BY 1`,
    [from],
  );
  const byMinute = new Map(buckets.rows.map((b) => [b.minute.getTime(), b]));
  const perMinute: Stats['perMinute'] = [];
  for (let t = from.getTime(); t < end; t += MINUTE) {
    const b = byMinute.get(t);
    perMinute.push({ minute: new Date(t).toISOString(), issued: b?.issued ?? 0, failed: b?.failed ?? 0 });
  }
  const l = await db.query<{ count: number; p50: number | null; p90: number | null; p99: number | null }>(
    `SELECT count(*)::int AS count,
            percentile_disc(0.5) WITHIN GROUP (ORDER BY ms) AS p50,
            percentile_disc(0.9) WITHIN GROUP (ORDER BY ms) AS p90,
            percentile_disc(0.99) WITHIN GROUP (ORDER BY ms) AS p99
     FROM (SELECT (extract(epoch FROM updated_at - reserved_at) * 1000)::float8 AS ms FROM jobs WHERE state = 'ISSUED' AND reserved_at IS NOT NULL AND updated_at >= $1) AS issued`,
    [from],
  );
  const row = l.rows[0];
  const round = (v: number | null | undefined): number | null => (v === null || v === undefined ? null : Math.round(v));
  return { perMinute, latency: { count: row?.count ?? 0, p50: round(row?.p50), p90: round(row?.p90), p99: round(row?.p99) } };
}

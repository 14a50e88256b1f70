/**
 * `GET /api/jobs?state=S&limit=N` (docs/screens.md): the count of jobs in
 * every state, and the newest jobs (by their last move), optionally of one
 * state. No card data: the card serial and the script stay out.
 */
import { isJobState, JOB_STATES, type JobState } from '../job-state.js';
import type { Sql } from '../store/db.js';
import { ConsoleError } from './errors.js';

export const JOBS_LIMIT = { default: 50, max: 200 } as const;

export interface JobItem {
  id: string;
  application: string;
  state: JobState;
  kiosk: string | null;
  attempt: number;
  reason: string | null;
  updatedAt: string;
}

/** A bounded integer query parameter: ConsoleError bad-request names it when it is not one. */
export function intParam(q: URLSearchParams, name: string, dflt: number, min: number, max: number): number {
  const raw = q.get(name);
  if (raw === null || raw === '') return dflt;
  if (!/^\d{1,9}$/.test(raw)) throw new ConsoleError('bad-request', `${name}: an integer ${min}..${max}`);
  const n = Number(raw);
  if (n < min || n > max) throw new ConsoleError('bad-request', `${name}: an integer ${min}..${max}`);
  return n;
}

export async function jobsView(db: Sql, q: URLSearchParams): Promise<{ counts: Record<JobState, number>; jobs: JobItem[] }> {
  const state = q.get('state');
  if (state !== null && state !== '' && !isJobState(state)) throw new ConsoleError('bad-request', `state: one of ${JOB_STATES.join(', ')}`);
  const limit = intParam(q, 'limit', JOBS_LIMIT.default, 1, JOBS_LIMIT.max);
  const counts = Object.fromEntries(JOB_STATES.map((s) => [s, 0])) as Record<JobState, number>;
  const c = await db.query<{ state: JobState; n: number }>('SELECT state, count(*)::int AS n FROM jobs GROUP BY state');
  for (const row of c.rows) counts[row.state] = row.n;
  const where = state ? 'WHERE state = $2' : '';
  const r = await db.query<{ id: string; application_id: string; state: JobState; kiosk_id: string | null; attempt: number; reason: string | null; updated_at: Date }>(
    `SELECT id, application_id, state, kiosk_id, attempt, reason, updated_at FROM jobs ${where} ORDER BY updated_at DESC, id LIMIT $1`,
    state ? [limit, state] : [limit],
  );
  return {
    counts,
    jobs: r.rows.map((j) => ({ id: j.id, application: j.application_id, state: j.state, kiosk: j.kiosk_id, attempt: j.attempt, reason: j.reason, updatedAt: j.updated_at.toISOString() })),
  };
}

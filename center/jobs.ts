/**
 * Job moves (DESIGN §6): each move is one transaction that locks the job row,
 * checks the move against job-state.ts, updates the row and appends the
 * audit entry. A move that lost a race (the job is no longer in the state
 * the caller saw) throws JOB_CONFLICT and changes nothing.
 */
import type { Clock } from '../common/clock.js';
import type { AuditLog, AuditValue } from './audit/types.js';
import { CenterError } from './errors.js';
import { canMove, type JobState } from './job-state.js';
import type { Db, Sql } from './store/db.js';

export interface JobRow {
  id: string;
  application_id: string;
  state: JobState;
  kiosk_id: string | null;
  session_id: string | null;
  card_serial: string | null;
  attempt: number;
  next_kind: 'write' | 'inspect';
  cards_refused: number;
  host_challenge: Uint8Array | null;
  iu_response: Uint8Array | null;
  script_kind: 'write' | 'inspect' | null;
  reason: string | null;
}

const COLUMNS = 'id, application_id, state, kiosk_id, session_id, card_serial, attempt, next_kind, cards_refused, host_challenge, iu_response, script_kind, reason';

/** Columns a move may set. */
export type JobChanges = Partial<Pick<JobRow, 'kiosk_id' | 'session_id' | 'card_serial' | 'attempt' | 'next_kind' | 'cards_refused' | 'host_challenge' | 'iu_response' | 'script_kind' | 'reason'>>;

export interface JobsDeps {
  db: Db;
  audit: AuditLog;
  clock: Clock;
}

export async function lockJob(tx: Sql, id: string): Promise<JobRow | undefined> {
  const r = await tx.query<JobRow>(`SELECT ${COLUMNS} FROM jobs WHERE id = $1 FOR UPDATE`, [id]);
  return r.rows[0];
}

export async function getJob(db: Sql, id: string): Promise<JobRow | undefined> {
  const r = await db.query<JobRow>(`SELECT ${COLUMNS} FROM jobs WHERE id = $1`, [id]);
  return r.rows[0];
}

/** The kiosk's job that is reserved or holds a card, if any. */
export async function liveJobOfKiosk(db: Sql, kiosk: string): Promise<JobRow | undefined> {
  const r = await db.query<JobRow>(
    `SELECT ${COLUMNS} FROM jobs WHERE kiosk_id = $1 AND state IN ('RESERVED', 'CARD_AUTHENTICATED', 'WRITING', 'VERIFYING') ORDER BY updated_at DESC LIMIT 1`,
    [kiosk],
  );
  return r.rows[0];
}

/**
 * Moves a locked job (inside the caller's transaction) and appends its
 * audit entry. `to` equal to the current state records an in-state update
 * (e.g. a refused card while RESERVED); only allowed where the machine says so
 * or when `sameStateUpdate` is set.
 */
export async function moveJob(
  deps: JobsDeps,
  tx: Sql,
  job: JobRow,
  to: JobState,
  changes: JobChanges,
  detail: Record<string, AuditValue>,
  opts: { sameStateUpdate?: boolean } = {},
): Promise<JobRow> {
  const same = job.state === to;
  if (!(same && opts.sameStateUpdate) && !canMove(job.state, to)) {
    throw new CenterError('JOB_MOVE_INVALID', `job ${job.id}: ${job.state} → ${to} is not a move of the state machine`);
  }
  const sets = ['state = $2', 'updated_at = $3'];
  const params: unknown[] = [job.id, to, new Date(deps.clock.now())];
  // When a customer's request took the job: the console's latency runs from here to ISSUED (center/console/stats.ts).
  if (to === 'RESERVED' && !same) sets.push('reserved_at = $3');
  for (const [col, value] of Object.entries(changes)) {
    params.push(value);
    sets.push(`${col} = $${params.length}`);
  }
  const r = await tx.query<JobRow>(`UPDATE jobs SET ${sets.join(', ')} WHERE id = $1 AND state = '${job.state}' RETURNING ${COLUMNS}`, params);
  const row = r.rows[0];
  if (!row) throw new CenterError('JOB_CONFLICT', `job ${job.id} is no longer ${job.state}`);
  if (to === 'ISSUED') {
    const a = await tx.query(`UPDATE applications SET status = 'issued', updated_at = $2 WHERE id = $1 AND status = 'pending'`, [job.application_id, new Date(deps.clock.now())]);
    // Exactly once: an application that is not pending cannot be issued again.
    if (a.rowCount !== 1) throw new CenterError('JOB_CONFLICT', `application ${job.application_id} is not pending; job ${job.id} cannot be issued`);
  }
  await deps.audit.append(tx, {
    kind: 'job.move',
    job: job.id,
    ...(row.kiosk_id ? { kiosk: row.kiosk_id } : {}),
    detail: { from: job.state, to, attempt: row.attempt, card: row.card_serial, ...detail },
  });
  return row;
}

/** Locks a job, checks it is in one of `from` (else JOB_CONFLICT), and runs `fn` in the same transaction. */
export async function withJob<T>(deps: JobsDeps, id: string, from: readonly JobState[], fn: (tx: Sql, job: JobRow) => Promise<T>): Promise<T> {
  return deps.db.transaction(async (tx) => {
    const job = await lockJob(tx, id);
    if (!job) throw new CenterError('JOB_CONFLICT', `no job ${id}`);
    if (!from.includes(job.state)) throw new CenterError('JOB_CONFLICT', `job ${id} is ${job.state}, not ${from.join('|')}`);
    return fn(tx, job);
  });
}

/**
 * An operator voids a job that has not ended (a kiosk that never came back,
 * a reservation to cancel). The application stays pending: a later request
 * starts a new job. A card the job held stays where it is; the kiosk is never
 * told `issued` for it, so it is never handed out.
 */
export async function voidJob(deps: JobsDeps, id: string, reason: string, also?: (tx: Sql, job: JobRow) => Promise<void>): Promise<JobRow> {
  return withJob(deps, id, ['PENDING', 'RESERVED', 'CARD_AUTHENTICATED', 'WRITING', 'VERIFYING'], async (tx, job) => {
    const voided = await moveJob(deps, tx, job, 'VOIDED', { reason: 'voided' }, { reason: reason.slice(0, 200) });
    // In the same transaction (the console's `console.action` entry).
    await also?.(tx, voided);
    return voided;
  });
}

/**
 * A revoked kiosk's live jobs end with the revocation, in its transaction: a
 * reservation goes back to PENDING (nothing was written), a job holding a
 * card FAILS (the card stays in the revoked kiosk, which gets no `issued`).
 */
export async function endJobsOfKiosk(deps: JobsDeps, tx: Sql, kiosk: string, reason: string): Promise<number> {
  const r = await tx.query<JobRow>(
    `SELECT ${COLUMNS} FROM jobs WHERE kiosk_id = $1 AND state IN ('RESERVED', 'CARD_AUTHENTICATED', 'WRITING', 'VERIFYING') FOR UPDATE`,
    [kiosk],
  );
  for (const job of r.rows) {
    if (job.state === 'RESERVED') await moveJob(deps, tx, job, 'PENDING', { kiosk_id: null, session_id: null }, { reason });
    else await moveJob(deps, tx, job, 'FAILED', { reason }, { reason });
  }
  return r.rows.length;
}

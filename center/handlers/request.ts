/**
 * S230 (DESIGN §3 step 3): the customer's application ID and one-time code.
 *
 * - An unknown ID and a wrong code get the same answer ('bad-credentials'),
 *   and the application's state (locked, issued, expired) is told only to
 *   the right code. `attemptsLeft` does tell a known ID from an unknown one:
 *   the customer needs it, and IDs are references, not secrets — the code is.
 * - Each wrong code counts; the fifth locks the application (lockout).
 * - The code is hashed before the transaction (scrypt is slow), then the
 *   row is locked and re-read: a lock that happened meanwhile wins.
 * - A right code reserves the application's job for this kiosk and session.
 */
import type { UpBody } from '../../wire/messages.js';
import { createPendingJob, getApplication, getApplicationForUpdate, MAX_CODE_ATTEMPTS } from '../applications.js';
import type { InboundContext } from '../bridge.js';
import { checkCode } from '../code-hash.js';
import type { CenterDeps } from '../deps.js';
import { lockJob, moveJob, type JobRow } from '../jobs.js';
import { sendInsertCard } from './insert-card.js';

type Verdict = { ok: true; job: JobRow } | { ok: false; reason: 'bad-credentials' | 'locked' | 'not-pending' | 'busy' | 'rate-limited'; attemptsLeft?: number };

export async function onRequest(deps: CenterDeps, ctx: InboundContext, body: UpBody<'request'>): Promise<void> {
  const log = deps.logger.child('request');
  if (!deps.requestLimiter.take(ctx.kiosk.id)) {
    log.warn('request refused', { kiosk: ctx.kiosk.id, reason: 'rate-limited' });
    await deps.audit.record(deps.db, { kind: 'request.rate-limited', kiosk: ctx.kiosk.id, detail: { application: body.application } });
    await ctx.send('request-refused', { reason: 'rate-limited' });
    return;
  }
  const before = await getApplication(deps.db, body.application);
  // Hash even for an unknown ID, so the answer takes as long either way.
  const match = before ? await checkCode(body.code, before.code_hash) : (await checkCode(body.code, dummyHash(deps)), false);
  const verdict = await deps.db.transaction(async (tx): Promise<Verdict> => {
    const app = await getApplicationForUpdate(tx, body.application);
    if (!app) return { ok: false, reason: 'bad-credentials' };
    // A wrong code learns nothing about the application's state: locked, issued or expired show only to the right code.
    if (!match && app.locked) return { ok: false, reason: 'bad-credentials' };
    if (!match) {
      const failed = app.failed_attempts + 1;
      const locked = failed >= MAX_CODE_ATTEMPTS;
      await tx.query('UPDATE applications SET failed_attempts = $2, locked = $3, updated_at = $4 WHERE id = $1', [app.id, failed, locked, new Date(deps.clock.now())]);
      await deps.audit.append(tx, { kind: 'application.code-wrong', kiosk: ctx.kiosk.id, detail: { application: app.id, failed, locked } });
      return locked ? { ok: false, reason: 'locked' } : { ok: false, reason: 'bad-credentials', attemptsLeft: MAX_CODE_ATTEMPTS - failed };
    }
    if (app.locked) return { ok: false, reason: 'locked' };
    if (app.status !== 'pending' || (app.expires_at && app.expires_at.getTime() < deps.clock.now())) return { ok: false, reason: 'not-pending' };
    if (app.failed_attempts > 0) await tx.query('UPDATE applications SET failed_attempts = 0 WHERE id = $1', [app.id]);
    const live = await tx.query<{ id: string; state: string; updated_at: Date; kiosk_id: string | null }>(
      `SELECT id, state, updated_at, kiosk_id FROM jobs WHERE application_id = $1 AND state NOT IN ('FAILED', 'VOIDED') FOR UPDATE`,
      [app.id],
    );
    let jobId = live.rows[0]?.id;
    const current = live.rows[0];
    const ownStale = current?.state === 'RESERVED' && current.kiosk_id === ctx.kiosk.id;
    if (current?.state === 'RESERVED' && (ownStale || deps.clock.now() - current.updated_at.getTime() > deps.limits.reservationTtlMs)) {
      // A reservation without a card whose kiosk went silent: nothing was written; release it for this customer.
      await moveJob(deps, tx, (await lockJob(tx, current.id))!, 'PENDING', { kiosk_id: null, session_id: null }, { reason: 'reservation-expired' });
    } else if (current && current.state !== 'PENDING') {
      return { ok: false, reason: current.state === 'ISSUED' ? 'not-pending' : 'busy' };
    }
    // The last job FAILED or was VOIDED while the application is still pending: a new one.
    jobId ??= await createPendingJob(tx, app.id, new Date(deps.clock.now()));
    const job = (await lockJob(tx, jobId))!;
    const reserved = await moveJob(
      deps,
      tx,
      job,
      'RESERVED',
      { kiosk_id: ctx.kiosk.id, session_id: ctx.session, attempt: 1, next_kind: 'write', cards_refused: 0, host_challenge: deps.random(8), card_serial: null, iu_response: null },
      { application: app.id },
    );
    return { ok: true, job: reserved };
  });
  if (!verdict.ok) {
    log.info('request refused', { kiosk: ctx.kiosk.id, reason: verdict.reason });
    await ctx.send('request-refused', { reason: verdict.reason, ...(verdict.attemptsLeft !== undefined ? { attemptsLeft: verdict.attemptsLeft } : {}) });
    return;
  }
  log.info('job reserved', { kiosk: ctx.kiosk.id, job: verdict.job.id });
  await sendInsertCard(deps, ctx, verdict.job, false);
}

/** A well-formed hash at the configured cost that no code matches, so unknown IDs cost one scrypt too. */
function dummyHash(deps: CenterDeps): string {
  const { logN, r, p } = deps.scrypt;
  return `scrypt$${logN}$${r}$${p}$${'A'.repeat(22)}==$${'A'.repeat(43)}=`;
}

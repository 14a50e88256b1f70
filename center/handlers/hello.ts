/**
 * S210/S220 (DESIGN §3 step 1): a kiosk opened a session. The center checks
 * its registry entry, answers with the signed reader registry, and — if the
 * kiosk had a job in progress when it (or the center) went away — starts
 * the recovery of that job (a reservation whose card is at the station is
 * resumed, one without a card released, a bound card inspected again):
 * "a crash at any point resumes or voids cleanly; the card itself says
 * what it holds" (DESIGN §6). Last, a kiosk whose
 * certificate is due is asked to renew it (docs/provisioning.md §3).
 */
import type { UpBody } from '../../wire/messages.js';
import type { InboundContext } from '../bridge.js';
import type { CenterDeps } from '../deps.js';
import { holdsCard } from '../job-state.js';
import { liveJobOfKiosk, moveJob, withJob } from '../jobs.js';
import { askRenewalIfDue } from '../fleet/handlers.js';
import { listReaders, signedReaderRegistry } from '../registry.js';
import { sendInsertCard, sendIssued } from './insert-card.js';

export async function onHello(deps: CenterDeps, ctx: InboundContext, body: UpBody<'hello'>): Promise<void> {
  const log = deps.logger.child('hello');
  const kiosk = ctx.kiosk;
  if (kiosk.status !== 'active') {
    log.warn('kiosk refused', { kiosk: kiosk.id, reason: 'kiosk-revoked' });
    await audit(deps, kiosk.id, 'kiosk-revoked');
    await ctx.send('refused', { reason: 'kiosk-revoked', message: 'this kiosk is revoked: issuance is not possible here' });
    return;
  }
  const readers = await listReaders(deps.db, kiosk.id);
  if (readers.length === 0) {
    log.warn('kiosk refused', { kiosk: kiosk.id, reason: 'no-approved-reader' });
    await audit(deps, kiosk.id, 'no-approved-reader');
    await ctx.send('refused', { reason: 'no-approved-reader', message: 'no reader is registered for this kiosk' });
    return;
  }
  const registry = await signedReaderRegistry(deps.db, kiosk.id, deps.keys.signingKey, deps.clock.now());
  await ctx.send('welcome', { registry: registry.signed });
  // What this session holds: a later change is pushed to it (registry-push.ts); the agent version is shown by the console's fleet view.
  await deps.db.query('UPDATE sessions SET registry_version = $2, agent = $3 WHERE id = $1', [ctx.session, registry.version, body.agent]);
  await recover(deps, ctx, body.card.present);
  // docs/provisioning.md §3: a certificate near its end (or an operator's request) is renewed from the first session on.
  await askRenewalIfDue(deps, kiosk.id, ctx.session, (b) => ctx.send('renew', b));
}

async function recover(deps: CenterDeps, ctx: InboundContext, cardPresent: boolean): Promise<void> {
  const live = await liveJobOfKiosk(deps.db, ctx.kiosk.id);
  if (!live) {
    if (cardPresent) await resendFinal(deps, ctx);
    return;
  }
  const log = deps.logger.child('recovery');
  // Bounded like every re-run (maxAttempts): a kiosk that keeps opening sessions does not resume forever.
  if (!holdsCard(live.state) && cardPresent && live.attempt < deps.limits.maxAttempts) {
    await resumeReservation(deps, ctx, live.id);
    return;
  }
  if (!holdsCard(live.state)) {
    // Reserved, no card bound: nothing was written anywhere. Release it for the customer's next try.
    await withJob(deps, live.id, ['RESERVED'], (tx, job) => moveJob(deps, tx, job, 'PENDING', { kiosk_id: null, session_id: null }, { reason: 'kiosk-reconnected' }));
    log.info('reservation released', { job: live.id });
    // The kiosk may still believe it holds the job (a card fed, waiting for the script): let it go.
    await ctx.send('failed', { job: live.id, reason: 'voided' });
    return;
  }
  if (!cardPresent) {
    // The kiosk ejects only on `issued` and the job is not ISSUED, so the card left by capture or by hand: it never reached a customer as issued.
    await withJob(deps, live.id, ['CARD_AUTHENTICATED', 'WRITING', 'VERIFYING'], (tx, job) =>
      moveJob(deps, tx, job, 'FAILED', { reason: 'card-missing' }, { reason: 'card-missing' }),
    );
    log.warn('job failed: its card is gone', { job: live.id });
    await ctx.send('failed', { job: live.id, reason: 'card-missing' });
    return;
  }
  const job = await withJob(deps, live.id, ['CARD_AUTHENTICATED', 'WRITING', 'VERIFYING'], (tx, job) =>
    moveJob(
      deps,
      tx,
      job,
      'CARD_AUTHENTICATED',
      { attempt: job.attempt + 1, next_kind: 'inspect', session_id: ctx.session, host_challenge: deps.random(8) },
      { reason: 'recovery' },
      { sameStateUpdate: true },
    ),
  );
  log.info('job recovery started', { job: job.id, attempt: job.attempt });
  await sendInsertCard(deps, ctx, job, true);
}

/**
 * Reserved, no card bound, but a card at the kiosk's station: typically the
 * kiosk fed and read a card for this job and its `card` was lost with a
 * center worker that died holding it (issue 6), so the kiosk opened a new
 * session. Nothing was written to the card. Resume rather than release: a
 * new attempt with a fresh host challenge bound to this session, and an
 * `insert-card` with recover=false. recover=true would make the kiosk read
 * whatever card is there without asking whether anyone waits for it, and
 * hello does not say whether a customer is waiting (wire/messages.ts): after
 * a kiosk restart nobody is, and a card written then would go to the gate
 * for whoever stands there next. With recover=false the kiosk keeps that
 * decision (kiosk/handlers/insert-card.ts): a waiting customer's kiosk reads
 * the card it fed for this job again (no capture, no new card); one without
 * a customer answers `no-card` and card.ts releases the reservation, as
 * before, while `failed` sends the card to the reject bin. The card handler
 * applies every first-attempt check to the card it reads (authentication,
 * registered stock, not bound to another job).
 */
async function resumeReservation(deps: CenterDeps, ctx: InboundContext, jobId: string): Promise<void> {
  const job = await withJob(deps, jobId, ['RESERVED'], (tx, j) =>
    moveJob(deps, tx, j, 'RESERVED', { attempt: j.attempt + 1, session_id: ctx.session, host_challenge: deps.random(8) }, { reason: 'recovery' }, { sameStateUpdate: true }),
  );
  deps.logger.child('recovery').info('reservation resumed', { job: job.id, attempt: job.attempt });
  await sendInsertCard(deps, ctx, job, false);
}

/**
 * The kiosk's last job ended (ISSUED or FAILED) but its card never left the
 * station: the final message was lost with the link (it went out on a
 * session that died). Say it again on the new session; for `issued` the
 * kiosk ejects only if the card at its station is the job's card.
 */
async function resendFinal(deps: CenterDeps, ctx: InboundContext): Promise<void> {
  const r = await deps.db.query<{ id: string; state: string; reason: string | null }>(
    `SELECT id, state, reason FROM jobs WHERE kiosk_id = $1 AND card_serial IS NOT NULL AND card_done IS NULL AND state IN ('ISSUED', 'FAILED')
     ORDER BY updated_at DESC LIMIT 1`,
    [ctx.kiosk.id],
  );
  const last = r.rows[0];
  if (!last) return;
  deps.logger.child('recovery').info('final message re-sent', { job: last.id, state: last.state });
  if (last.state === 'ISSUED') await sendIssued(deps, ctx, last.id);
  else await ctx.send('failed', { job: last.id, reason: failedReason(last.reason) });
}

const FAILED_REASONS = ['verification', 'attempts-exhausted', 'no-valid-card', 'card-missing', 'wrong-card', 'voided', 'internal'] as const;
function failedReason(r: string | null): (typeof FAILED_REASONS)[number] {
  return FAILED_REASONS.find((x) => x === r) ?? 'internal';
}

async function audit(deps: CenterDeps, kiosk: string, reason: string): Promise<void> {
  await deps.audit.record(deps.db, { kind: 'kiosk.refused', kiosk, detail: { reason } });
}

/**
 * S250/S260 (DESIGN §3 steps 4–6): the card's answer to INITIALIZE UPDATE.
 *
 * The center derives the card's keys from the issuer master key and the
 * card's KDD and checks the card cryptogram (script/card-auth.ts).
 * - A card that fails (wrong or no access key: a counterfeit, S255) is
 *   refused before anything is written: the kiosk captures it and is asked
 *   for another card with a fresh challenge, up to `maxCardsRefused`.
 * - So is a card that authenticates but whose KDD is in no active batch of
 *   registered stock (`card-not-in-stock`, docs/provisioning.md §6): only
 *   cards prepared by `cardline stock prepare` and registered are issued.
 * - A card that passes is bound to the job (CARD_AUTHENTICATED), and the
 *   whole secured script (relay mode) or a sealed package (sealed mode)
 *   goes out in one message (WRITING; write.ts).
 * - During a recovery the job already holds a card: only that same card
 *   (same KDD) is accepted; any other means the job's card is gone.
 */
import { hex, zeroize } from '../../card/bytes.js';
import type { UpBody } from '../../wire/messages.js';
import { getApplication } from '../applications.js';
import type { InboundContext } from '../bridge.js';
import { openDgis } from '../data-crypto.js';
import type { CenterDeps } from '../deps.js';
import { CenterError } from '../errors.js';
import { getJob, moveJob, withJob, type JobRow } from '../jobs.js';
import { authenticateCard } from '../../card/script/card-auth.js';
import { profileByName } from '../../card/script/profile.js';
import { isUniqueViolation } from '../store/query-error.js';
import { isStockCard } from '../stock.js';
import { sendInsertCard } from './insert-card.js';
import { currentJob } from './current-job.js';
import { sendWrite } from './write.js';

export async function onCard(deps: CenterDeps, ctx: InboundContext, body: UpBody<'card'>): Promise<void> {
  const log = deps.logger.child('card');
  const job = await currentJob(deps, ctx, body.job, body.attempt, ['RESERVED', 'CARD_AUTHENTICATED']);
  if (!job) return;
  const app = await getApplication(deps.db, job.application_id);
  if (!app || !job.host_challenge) throw new CenterError('DATA_INTEGRITY', `job ${job.id} lacks its application or challenge`);
  const profile = profileByName(app.profile);
  const recovering = job.state === 'CARD_AUTHENTICATED';

  if (body.error || !body.iu) {
    const code = body.error?.code ?? 'status';
    if (recovering || code === 'hopper-empty' || code === 'no-card') {
      await endWithoutCard(deps, ctx, job, recovering ? 'card-missing' : 'no-valid-card', code);
      return;
    }
    await refuseCard(deps, ctx, job, 'card-unreadable', code);
    return;
  }

  const iu = hex(body.iu);
  const auth = authenticateCard({ profile, kmc: deps.keys.issuerMaster, hostChallenge: job.host_challenge, iuResponse: iu });
  if (!auth.ok) {
    log.warn('card refused', { job: job.id, reason: auth.reason, detail: auth.detail });
    if (recovering) {
      await endWithoutCard(deps, ctx, job, 'wrong-card', auth.reason);
      return;
    }
    await refuseCard(deps, ctx, job, auth.reason, auth.detail);
    return;
  }
  if (!recovering && !(await isStockCard(deps.db, auth.serial))) {
    // Authentic keys, but no registered batch lists the card (docs/provisioning.md §6): never issue onto it.
    log.warn('card refused', { job: job.id, reason: 'card-not-in-stock' });
    await refuseCard(deps, ctx, job, 'card-not-in-stock', 'not in an active batch');
    return;
  }
  if (!recovering && (await cardTaken(deps, auth.serial, job.id))) {
    // The same card (KDD) under another live or issued job: a clone, or a card fed twice. Never write it.
    log.warn('card already bound to another job', { job: job.id });
    await refuseCard(deps, ctx, job, 'wrong-card', 'card bound to another job');
    return;
  }
  if (recovering && auth.serial !== job.card_serial) {
    log.warn('recovery found another card', { job: job.id });
    await endWithoutCard(deps, ctx, job, 'wrong-card', 'serial');
    return;
  }

  // Bind the card (first time) and build the script from the stored, encrypted writing data.
  let bound = job;
  if (!recovering) {
    try {
      bound = await withJob(deps, job.id, ['RESERVED'], (tx, j) => moveJob(deps, tx, j, 'CARD_AUTHENTICATED', { card_serial: auth.serial, iu_response: iu }, { reason: 'card-authenticated' }));
    } catch (e) {
      // The unique index (jobs_one_job_per_card) caught a race the check above could not: same refusal.
      if (!isUniqueViolation(e)) throw e;
      log.warn('card already bound to another job', { job: job.id });
      await refuseCard(deps, ctx, job, 'wrong-card', 'card bound to another job');
      return;
    }
  }
  const dgis = openDgis(deps.keys.dataKey, app.id, app.data_nonce, app.data_enc);
  try {
    await sendWrite(deps, ctx, { job: bound, kind: bound.next_kind, profile, hostChallenge: job.host_challenge, iu, dgis });
  } finally {
    for (const d of dgis) zeroize(d.value);
  }
}

/** S255: refuse this card; ask for another with a fresh challenge, or release the job after too many. */
async function refuseCard(deps: CenterDeps, ctx: InboundContext, job: JobRow, reason: 'card-authentication' | 'card-unreadable' | 'wrong-card' | 'card-not-in-stock', detail: string): Promise<void> {
  const refused = job.cards_refused + 1;
  const next = await withJob(deps, job.id, ['RESERVED'], (tx, j) =>
    refused >= deps.limits.maxCardsRefused
      ? moveJob(deps, tx, j, 'PENDING', { cards_refused: refused, kiosk_id: null, session_id: null }, { reason: 'no-valid-card', refusedCard: reason, detail })
      : moveJob(deps, tx, j, 'RESERVED', { cards_refused: refused, attempt: j.attempt + 1, host_challenge: deps.random(8) }, { reason, detail }, { sameStateUpdate: true }),
  );
  await ctx.send('card-refused', { job: job.id, attempt: job.attempt, reason });
  if (next.state === 'PENDING') {
    await ctx.send('failed', { job: job.id, reason: 'no-valid-card' });
    return;
  }
  await sendInsertCard(deps, ctx, next, false);
}

/** The job cannot go on at this kiosk without a card. */
async function endWithoutCard(deps: CenterDeps, ctx: InboundContext, job: JobRow, reason: 'card-missing' | 'no-valid-card' | 'wrong-card', detail: string): Promise<void> {
  const fresh = await getJob(deps.db, job.id);
  if (!fresh) return;
  if (fresh.state === 'RESERVED') {
    // Nothing was bound or written: release the reservation, the customer may try again.
    await withJob(deps, job.id, ['RESERVED'], (tx, j) => moveJob(deps, tx, j, 'PENDING', { kiosk_id: null, session_id: null }, { reason, detail }));
  } else {
    await withJob(deps, job.id, ['CARD_AUTHENTICATED', 'WRITING', 'VERIFYING'], (tx, j) => moveJob(deps, tx, j, 'FAILED', { reason }, { reason, detail }));
  }
  await ctx.send('failed', { job: job.id, reason });
}

async function cardTaken(deps: CenterDeps, serial: string, jobId: string): Promise<boolean> {
  const r = await deps.db.query(`SELECT 1 FROM jobs WHERE card_serial = $1 AND id <> $2 AND state NOT IN ('FAILED', 'VOIDED', 'PENDING') LIMIT 1`, [serial, jobId]);
  return r.rows.length > 0;
}

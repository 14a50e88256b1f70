/**
 * `insert-card` (S240/S250): put a card at the IC station — a new one from
 * the hopper, or the one already there when the center recovers a job —
 * then power it, SELECT the security domain and send INITIALIZE UPDATE
 * with the center's challenge (card-auth-step.ts). The answer goes back as
 * `card`; the card stays powered for the script.
 *
 * A job the kiosk does not know is accepted: after a restart the center
 * drives the recovery of the card at the station. A new attempt of the job
 * whose card this process already fed and read (the center resumed its
 * reservation after a new session) uses that card, for the same waiting
 * customer: recover=false, so the customer check above still applies.
 */
import { hex, toHex } from '../../card/bytes.js';
import { isStationError } from '../../hardware/station.js';
import type { DownBody, UpBody } from '../../wire/messages.js';
import { readCardForAuth } from '../card-auth-step.js';
import type { CurrentJob, RunnerContext } from '../runner-context.js';
import { captureCard, stationErrorCode } from './station-moves.js';

type CardBody = UpBody<'card'>;
type CardError = NonNullable<CardBody['error']>;

export async function onInsertCard(ctx: RunnerContext, body: DownBody<'insert-card'>): Promise<void> {
  const { job, attempt, recover } = body;
  // A reader that has not passed authentication is never used (DESIGN §3 step 2).
  if (ctx.state.reader !== 'authenticated') {
    ctx.refuse('insert-card', 'reader-not-authenticated');
    return;
  }
  // A new card is fed only for a customer who is waiting: one who gave up (timeout) has left the kiosk,
  // and a card written now would go to whoever stands there next. The center then releases the job.
  if (!recover && !ctx.hasCustomer()) {
    ctx.refuse('insert-card', 'no-customer');
    await ctx.send('card', { job, attempt, error: { code: 'no-card' } });
    return;
  }
  const previous = ctx.state.job;
  if (previous !== undefined && previous.id !== job) ctx.logger.info('job replaced by the center', { previous: previous.id, job });
  // The card this process fed and read for this same job is still at the station (cardKdd is cleared by every
  // move): a new attempt of the job's reservation after a new session (center/handlers/hello.ts, a worker died
  // holding our `card`). It is this customer's card: read it again rather than capture it and feed another.
  const ownCard = previous?.id === job && ctx.state.cardKdd !== undefined;
  const current: CurrentJob = { id: job, attempt, recover };
  ctx.state.job = current;
  ctx.setPhase('card');
  ctx.emit({ type: 'insert-card', job, attempt, recover });
  ctx.touch();

  const placed = await placeCard(ctx, recover || ownCard);
  if (placed !== undefined) {
    await sendCard(ctx, { job, attempt, error: placed });
    return;
  }
  const challenge = hex(body.challenge);
  const read = await readCardForAuth(ctx.station.transport, { sdAid: hex(body.sdAid), kvn: body.kvn, challenge }, { timeoutMs: ctx.apduTimeoutMs, logger: ctx.logger });
  if (read.ok) {
    // The KDD (first 10 bytes) is the card's identity, not a secret: kept to check `issued` names this card.
    ctx.state.cardKdd = toHex(read.iu.subarray(0, 10)).toUpperCase();
    // Sealed mode continues this session at the kiosk (handlers/package.ts).
    current.card = { hostChallenge: challenge, iuResponse: read.iu.slice() };
    await sendCard(ctx, { job, attempt, atr: toHex(read.atr), iu: toHex(read.iu) });
    read.iu.fill(0);
    ctx.emit({ type: 'card-read', job });
  } else {
    const error: CardError = read.error.code === 'status' ? { code: 'status', sw: read.error.sw } : { code: read.error.code };
    await sendCard(ctx, { job, attempt, ...(read.atr ? { atr: toHex(read.atr) } : {}), error });
  }
}

/** Gets a card to the station; resolves with the error to report, or undefined when a card is there. */
async function placeCard(ctx: RunnerContext, recover: boolean): Promise<CardError | undefined> {
  let present: boolean;
  try {
    present = await ctx.station.cardAtStation();
  } catch (e) {
    ctx.logger.error('station status failed', { code: stationErrorCode(e) });
    return { code: 'transport' };
  }
  if (recover) return present ? undefined : { code: 'no-card' };
  // A plain PC/SC reader has no hopper and cannot capture: a card in its slot was put there by the
  // customer standing at it (PcscStation.feed counts it as fed). A card left by an earlier customer is
  // refused by the center as bound to another job (center/handlers/card.ts), and nothing is written to it.
  if (present && ctx.station.identity.kind === 'pcsc') {
    ctx.logger.info('card already in the plain reader: the customer inserted it');
  } else if (present) {
    // Not this job's card (a leftover whose capture failed, say): it may hold another customer's data.
    ctx.logger.warn('unexpected card at the station: capturing it before feeding');
    if ((await captureCard(ctx)) !== undefined) return { code: 'transport' };
  }
  try {
    const { label } = await ctx.station.feed();
    ctx.logger.info('card fed', { label });
    return undefined;
  } catch (e) {
    if (isStationError(e, 'HOPPER_EMPTY')) {
      ctx.emit({ type: 'error', code: 'hopper-empty' });
      return { code: 'hopper-empty' };
    }
    ctx.logger.error('feed failed', { code: stationErrorCode(e) });
    return { code: 'transport' };
  }
}

/** `atr` is absent when no card could be powered (hopper empty, no card, power-on failed). */
async function sendCard(ctx: RunnerContext, body: CardBody): Promise<void> {
  await ctx.send('card', body);
  ctx.touch();
}

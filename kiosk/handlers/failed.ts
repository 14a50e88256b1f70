/**
 * `failed`: the job ended without a card for the customer. A card at the
 * station (possibly half-written) goes to the reject bin, never to the gate.
 */
import type { DownBody } from '../../wire/messages.js';
import type { RunnerContext } from '../runner-context.js';
import { captureCard, stationErrorCode } from './station-moves.js';

export async function onFailed(ctx: RunnerContext, body: DownBody<'failed'>): Promise<void> {
  const job = ctx.state.job;
  if (job !== undefined && job.id !== body.job) {
    ctx.refuse('failed', 'wrong-job');
    return;
  }
  let error: string | undefined;
  try {
    error = (await ctx.station.cardAtStation()) ? await captureCard(ctx) : 'no-card';
  } catch (e) {
    error = stationErrorCode(e);
  }
  await ctx.send('card-done', { job: body.job, action: 'captured', ok: error === undefined, ...(error !== undefined ? { error } : {}) });
  ctx.logger.info('job failed', { job: body.job, reason: body.reason, captured: error === undefined });
  ctx.emit({ type: 'failed', job: body.job, reason: body.reason });
  if (error !== 'no-card') ctx.emit({ type: 'card-captured', job: body.job, ok: error === undefined });
  ctx.endJob({ outcome: 'failed', job: body.job, reason: body.reason });
}

/**
 * `issued` (S290 accepted): the job is ISSUED at the center, exactly once.
 * Only now may the card go to the customer (hardware/station.ts contract).
 */
import type { DownBody } from '../../wire/messages.js';
import type { RunnerContext } from '../runner-context.js';
import { ejectCard } from './station-moves.js';

export async function onIssued(ctx: RunnerContext, body: DownBody<'issued'>): Promise<void> {
  const job = ctx.state.job;
  // A job the kiosk does not know (after its restart) is the center's to finish: accepted.
  if (job !== undefined && job.id !== body.job) {
    ctx.refuse('issued', 'wrong-job');
    return;
  }
  const error = await ejectCard(ctx);
  await ctx.send('card-done', { job: body.job, action: 'ejected', ok: error === undefined, ...(error !== undefined ? { error } : {}) });
  ctx.logger.info('job issued', { job: body.job, ejected: error === undefined });
  ctx.emit({ type: 'issued', job: body.job, ok: error === undefined });
  ctx.endJob({ outcome: 'issued', job: body.job, ...(error !== undefined ? { reason: `eject-${error}` } : {}) });
}

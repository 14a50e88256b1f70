/**
 * `card-refused` (S255): this card failed card authentication (or is
 * unreadable or the wrong one). Nothing was written to it: it goes to the
 * reject bin and the center asks for another with a new `insert-card`.
 */
import type { DownBody } from '../../wire/messages.js';
import type { RunnerContext } from '../runner-context.js';
import { captureCard } from './station-moves.js';

export async function onCardRefused(ctx: RunnerContext, body: DownBody<'card-refused'>): Promise<void> {
  const job = ctx.state.job;
  if (job !== undefined && job.id !== body.job) {
    ctx.refuse('card-refused', 'wrong-job');
    return;
  }
  ctx.touch();
  ctx.logger.info('card refused by the center', { job: body.job, attempt: body.attempt, reason: body.reason });
  ctx.emit({ type: 'card-refused', job: body.job, reason: body.reason });
  const error = await captureCard(ctx);
  await ctx.send('card-done', { job: body.job, action: 'captured', ok: error === undefined, ...(error !== undefined ? { error } : {}) });
  ctx.emit({ type: 'card-captured', job: body.job, ok: error === undefined });
  ctx.setPhase('card');
  ctx.touch();
}

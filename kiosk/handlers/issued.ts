/**
 * `issued` (S290 accepted): the job is ISSUED at the center, exactly once.
 * Only now may the card go to the customer (hardware/station.ts contract),
 * and only the card the center issued: `issued` names its KDD. When this
 * process does not know the card at the station (it restarted, or the
 * `issued` is a re-send after a lost link), the card is read again
 * (SELECT + INITIALIZE UPDATE with a random challenge) before it moves. Any
 * other card is captured, never ejected.
 */
import { hex, toHex } from '../../card/bytes.js';
import type { DownBody } from '../../wire/messages.js';
import { readCardForAuth } from '../card-auth-step.js';
import type { RunnerContext } from '../runner-context.js';
import { captureCard, ejectCard, powerOff } from './station-moves.js';

export async function onIssued(ctx: RunnerContext, body: DownBody<'issued'>): Promise<void> {
  const job = ctx.state.job;
  // A job the kiosk does not know (after its restart) is the center's to finish: accepted.
  if (job !== undefined && job.id !== body.job) {
    ctx.refuse('issued', 'wrong-job');
    return;
  }
  const want = body.card.toUpperCase();
  const atStation = ctx.state.cardKdd ?? (await readKdd(ctx, body.sdAid));
  ctx.state.cardKdd = undefined;
  if (atStation !== want) {
    ctx.logger.error('issued card is not the card at the station: captured', { job: body.job, known: atStation !== undefined });
    const error = await captureCard(ctx);
    await ctx.send('card-done', { job: body.job, action: 'captured', ok: false, error: error ?? 'wrong-card' });
    ctx.emit({ type: 'failed', job: body.job, reason: 'wrong-card' });
    ctx.endJob({ outcome: 'failed', job: body.job, reason: 'wrong-card' });
    return;
  }
  const error = await ejectCard(ctx);
  // The screen first: the card is out, the customer need not wait a network round trip for card-done's PUBACK.
  ctx.emit({ type: 'issued', job: body.job, ok: error === undefined });
  await ctx.send('card-done', { job: body.job, action: 'ejected', ok: error === undefined, ...(error !== undefined ? { error } : {}) });
  ctx.logger.info('job issued', { job: body.job, ejected: error === undefined });
  ctx.endJob({ outcome: 'issued', job: body.job, ...(error !== undefined ? { reason: `eject-${error}` } : {}) });
}

/** The KDD of the card at the station, read afresh; undefined when there is none or it does not answer. */
async function readKdd(ctx: RunnerContext, sdAid: string): Promise<string | undefined> {
  if (!(await ctx.station.cardAtStation().catch(() => false))) return undefined;
  const challenge = ctx.random(8);
  const read = await readCardForAuth(ctx.station.transport, { sdAid: hex(sdAid), kvn: 0, challenge }, { timeoutMs: ctx.apduTimeoutMs, logger: ctx.logger });
  await powerOff(ctx);
  if (!read.ok) return undefined;
  const kdd = toHex(read.iu.subarray(0, 10)).toUpperCase();
  read.iu.fill(0);
  return kdd;
}

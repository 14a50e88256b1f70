/**
 * `script` (S270/S280): run the center's secured script over the card at
 * the station, in memory (relay.ts), and return every response (S290).
 *
 * - Only for the job and attempt the kiosk is working on; anything else is
 *   refused ('wrong-job') and dropped.
 * - openEnvelope checked the deadline on receipt; it is checked again before
 *   the first APDU (the message may have waited in the queue): a late
 *   script is never started (DESIGN §5 "Nothing lingers").
 * - APDUs and responses exist as bytes only here, and are zeroized after the
 *   result went out. (Their hex strings in the message bodies are immutable
 *   JavaScript strings: they go when the garbage collector takes them.)
 */
import { hex, toHex } from '../../card/bytes.js';
import type { DownBody } from '../../wire/messages.js';
import { relayScript } from '../relay.js';
import type { RunnerContext } from '../runner-context.js';
import { powerOff } from './station-moves.js';

export async function onScript(ctx: RunnerContext, body: DownBody<'script'>, deadline: number): Promise<void> {
  const job = ctx.state.job;
  if (job === undefined || job.id !== body.job || job.attempt !== body.attempt) {
    ctx.refuse('script', 'wrong-job');
    return;
  }
  if (ctx.state.reader !== 'authenticated') {
    ctx.refuse('script', 'reader-not-authenticated');
    return;
  }
  ctx.touch();
  const total = body.apdus.length;
  if (ctx.clock.now() > deadline) {
    ctx.logger.warn('script late: not started', { job: body.job, attempt: body.attempt, total });
    await ctx.send('result', { job: body.job, attempt: body.attempt, responses: [], error: { index: 0, code: 'late' } });
    return;
  }
  ctx.emit({ type: 'card-authenticated', job: body.job, kind: body.kind, apdus: total });
  ctx.setPhase('writing');
  const apdus = body.apdus.map((a) => hex(a));
  let responses: Uint8Array[] = [];
  try {
    const started = ctx.clock.now();
    const outcome = await relayScript(ctx.station.transport, apdus, {
      stop: body.stop,
      timeoutMs: ctx.apduTimeoutMs,
      logger: ctx.logger,
      onStep: (index, n) => ctx.emit({ type: 'writing', job: body.job, index, total: n }),
    });
    responses = outcome.responses;
    ctx.logger.info('script run', { job: body.job, attempt: body.attempt, kind: body.kind, total, answered: responses.length, ms: ctx.clock.now() - started, stopped: outcome.error?.code ?? 'no' });
    await ctx.send('result', {
      job: body.job,
      attempt: body.attempt,
      responses: responses.map((r) => toHex(r)),
      ...(outcome.error ? { error: outcome.error } : {}),
    });
  } finally {
    for (const b of apdus) b.fill(0);
    for (const b of responses) b.fill(0);
    await powerOff(ctx);
  }
  ctx.setPhase('verifying');
  ctx.emit({ type: 'verifying', job: body.job });
  ctx.touch();
}

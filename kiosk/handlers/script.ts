/**
 * `script` (S270/S280, relay mode): run the center's secured script over
 * the card at the station, in memory, and return every response (S290;
 * run-script.ts).
 *
 * - Only for the job and attempt the kiosk is working on; anything else is
 *   refused ('wrong-job') and dropped.
 * - openEnvelope checked the deadline on receipt; it is checked again before
 *   the first APDU (the message may have waited in the queue): a late
 *   script is never started (DESIGN §5 "Nothing lingers").
 * - APDUs and responses exist as bytes only here, and are zeroized after the
 *   result went out. (Their hex strings in the message bodies are immutable
 *   JavaScript strings: they go when the garbage collector takes them. They
 *   are secured by SCP03: C-DEC'd and MAC'd at SL 33.)
 */
import { hex } from '../../card/bytes.js';
import type { DownBody } from '../../wire/messages.js';
import type { RunnerContext } from '../runner-context.js';
import { acceptWrite, runAndReport } from './run-script.js';

export async function onScript(ctx: RunnerContext, body: DownBody<'script'>, deadline: number): Promise<void> {
  if (acceptWrite(ctx, 'script', body) === undefined) return;
  if (ctx.clock.now() > deadline) {
    ctx.logger.warn('script late: not started', { job: body.job, attempt: body.attempt, total: body.apdus.length });
    await ctx.send('result', { job: body.job, attempt: body.attempt, responses: [], error: { index: 0, code: 'late' } });
    return;
  }
  await runAndReport(ctx, { job: body.job, attempt: body.attempt, kind: body.kind, stop: body.stop, apdus: body.apdus.map((a) => hex(a)), mode: 'relay' });
}

/** `request-refused` (S230 refused): tell the customer; the kiosk goes back to the start. */
import type { DownBody } from '../../wire/messages.js';
import type { RunnerContext } from '../runner-context.js';

export function onRequestRefused(ctx: RunnerContext, body: DownBody<'request-refused'>): Promise<void> {
  const answered = ctx.answerRequest({ outcome: 'refused', reason: body.reason });
  if (!answered) {
    ctx.refuse('request-refused', 'no-request');
    return Promise.resolve();
  }
  ctx.emit({ type: 'request-refused', reason: body.reason, ...(body.attemptsLeft !== undefined ? { attemptsLeft: body.attemptsLeft } : {}) });
  return Promise.resolve();
}

/**
 * `refused` (S310): the center will not issue at this kiosk (unknown,
 * revoked, no approved reader). The screen says "issuance not possible
 * here: <reason>"; customers are refused locally from now on.
 */
import type { DownBody } from '../../wire/messages.js';
import type { RunnerContext } from '../runner-context.js';

export function onRefused(ctx: RunnerContext, body: DownBody<'refused'>): Promise<void> {
  ctx.logger.warn('kiosk refused by the center', { reason: body.reason });
  ctx.kioskRefused(body.reason);
  ctx.emit({ type: 'refused', reason: body.reason, message: body.message });
  return Promise.resolve();
}

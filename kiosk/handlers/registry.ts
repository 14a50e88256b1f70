/**
 * `registry` (pushed by the center when the kiosk's reader registry changed,
 * docs/reader-auth.md "Updates"): verified like the welcome's, then the
 * devices are authenticated again against it. A registry that does not
 * verify, or is older than the one held, is refused (logged) and changes
 * nothing: the held registry and the reader's standing stay.
 *
 * Never in the middle of a customer: while a request is out or a job runs,
 * the new registry waits (`pendingRegistry`) and the session runner applies
 * it as soon as that customer is done, before the next one is taken. A
 * reader dropped by the center thus finishes the card in progress (the
 * center still drives it) and then takes no further customers.
 */
import type { DownBody } from '../../wire/messages.js';
import type { RunnerContext } from '../runner-context.js';
import { applyRegistry, checkRegistry } from './registry-check.js';

export async function onRegistry(ctx: RunnerContext, body: DownBody<'registry'>): Promise<void> {
  const registry = checkRegistry(ctx, body.registry, 'push');
  if (registry === undefined) return;
  if (ctx.busy()) {
    ctx.state.pendingRegistry = registry;
    ctx.logger.info('registry update deferred', { version: registry.version, reason: 'customer' });
    return;
  }
  ctx.logger.info('registry update', { version: registry.version });
  await applyRegistry(ctx, registry);
}

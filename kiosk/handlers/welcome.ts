/**
 * `welcome` (S220 accepted): check the center-signed reader registry, then
 * authenticate the station's reader against it (DESIGN §3 step 2) and
 * report the outcome. The kiosk is READY only with an authenticated reader.
 */
import type { DownBody } from '../../wire/messages.js';
import type { RunnerContext } from '../runner-context.js';
import { applyRegistry, checkRegistry } from './registry-check.js';

export async function onWelcome(ctx: RunnerContext, body: DownBody<'welcome'>): Promise<void> {
  // A welcome is the center accepting this kiosk: an earlier S310 no longer holds.
  delete ctx.state.refusal;
  // The welcome's registry is the center's current one: a push still waiting is superseded.
  delete ctx.state.pendingRegistry;
  await applyRegistry(ctx, checkRegistry(ctx, body.registry, 'welcome'));
}

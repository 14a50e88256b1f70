/**
 * `welcome` (S220 accepted): check the center-signed reader registry, then
 * authenticate the station's reader against it (DESIGN §3 step 2) and
 * report the outcome. The kiosk is READY only with an authenticated reader.
 */
import { isWireError } from '../../wire/errors.js';
import type { DownBody } from '../../wire/messages.js';
import { verifyRegistry, type ReaderRegistry } from '../../wire/registry.js';
import { authenticateReader } from '../reader-auth.js';
import type { RunnerContext } from '../runner-context.js';

export async function onWelcome(ctx: RunnerContext, body: DownBody<'welcome'>): Promise<void> {
  const reader = ctx.station.identity;
  // A welcome is the center accepting this kiosk: an earlier S310 no longer holds.
  delete ctx.state.refusal;
  const registry = checkRegistry(ctx, body);
  const result = await authenticateReader(reader, registry, ctx.kioskId, { random: ctx.random, logger: ctx.logger });
  if (result.status === 'authenticated') {
    if (registry !== undefined) ctx.state.registryVersion = registry.version;
    ctx.readerDecided(true);
    await ctx.send('reader-report', { reader: reader.id, status: 'authenticated' });
  } else {
    ctx.readerDecided(false, result.reason);
    await ctx.send('reader-report', { reader: reader.id, status: 'refused', reason: result.reason });
  }
}

function checkRegistry(ctx: RunnerContext, body: DownBody<'welcome'>): ReaderRegistry | undefined {
  let registry: ReaderRegistry;
  try {
    registry = verifyRegistry(body.registry, ctx.centerPublicKey, ctx.kioskId);
  } catch (e) {
    if (!isWireError(e)) throw e;
    ctx.logger.warn('registry refused', { reason: e.reason });
    return undefined;
  }
  // DESIGN §6: versions only go up; an older registry is a replay of a revoked state.
  if (ctx.state.registryVersion !== undefined && registry.version < ctx.state.registryVersion) {
    ctx.logger.warn('registry refused', { reason: 'stale', version: registry.version, held: ctx.state.registryVersion });
    return undefined;
  }
  return registry;
}

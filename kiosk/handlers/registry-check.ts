/**
 * What `welcome` and `registry` share (DESIGN §3 step 2; docs/reader-auth.md):
 * verifying a center-signed reader registry before any use, and
 * authenticating the kiosk's devices against it.
 */
import { isWireError } from '../../wire/errors.js';
import { verifyRegistry, type ReaderRegistry, type SignedRegistry } from '../../wire/registry.js';
import { authenticateDevices } from '../reader-auth.js';
import type { RunnerContext } from '../runner-context.js';

/**
 * The registry, verified: signed by the center, for this kiosk, format v2,
 * and not older than the newest this process accepted (an older one is a
 * replay of a revoked state, DESIGN §6: refused as 'stale'). Equal versions
 * are accepted (QoS 1 may deliver twice). Undefined, logged, when refused.
 */
export function checkRegistry(ctx: RunnerContext, signed: SignedRegistry, via: 'welcome' | 'push'): ReaderRegistry | undefined {
  let registry: ReaderRegistry;
  try {
    registry = verifyRegistry(signed, ctx.centerPublicKey, ctx.kioskId);
  } catch (e) {
    if (!isWireError(e)) throw e;
    ctx.logger.warn('registry refused', { via, reason: e.reason });
    return undefined;
  }
  const held = ctx.state.registryVersion;
  if (held !== undefined && registry.version < held) {
    ctx.logger.warn('registry refused', { via, reason: 'stale', version: registry.version, held });
    return undefined;
  }
  ctx.state.registryVersion = registry.version;
  return registry;
}

/**
 * Authenticates the station's reader against `registry` (undefined: none
 * could be accepted), records the decision and reports it to the center.
 * The kiosk is READY only with an authenticated reader.
 */
export async function applyRegistry(ctx: RunnerContext, registry: ReaderRegistry | undefined): Promise<void> {
  if (registry !== undefined) ctx.state.registry = registry;
  const [outcome] = await authenticateDevices([ctx.station.identity], registry, ctx.kioskId, { random: ctx.random, logger: ctx.logger });
  if (outcome === undefined) return;
  const { device, result } = outcome;
  if (result.status === 'authenticated') {
    ctx.readerDecided(true);
    await ctx.send('reader-report', { reader: device.id, status: 'authenticated' });
  } else {
    ctx.readerDecided(false, result.reason);
    await ctx.send('reader-report', { reader: device.id, status: 'refused', reason: result.reason });
  }
}

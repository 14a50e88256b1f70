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
  if (ctx.saveRegistry) {
    ctx.saveRegistry(signed).catch((e: unknown) => ctx.logger.warn('registry not saved', { err: e }));
  }
  return registry;
}

/**
 * Authenticates the station's reader and the kiosk's other devices (a
 * customer keypad) against `registry` (undefined: none could be accepted),
 * reports each decision to the center and records the outcome. The kiosk is
 * READY only when every device is authenticated: a refused device is never
 * used, and the kiosk does not serve customers without it.
 */
export async function applyRegistry(ctx: RunnerContext, registry: ReaderRegistry | undefined): Promise<void> {
  if (registry !== undefined) ctx.state.registry = registry;
  const devices = [ctx.station.identity, ...(ctx.devices ?? [])];
  const outcomes = await authenticateDevices(devices, registry, ctx.kioskId, { random: ctx.random, logger: ctx.logger });
  let refused: { reason: string; device: string } | undefined;
  for (const { device, result } of outcomes) {
    if (result.status === 'authenticated') {
      await ctx.send('reader-report', { reader: device.id, status: 'authenticated' });
    } else {
      refused ??= { reason: result.reason, device: device.id };
      await ctx.send('reader-report', { reader: device.id, status: 'refused', reason: result.reason });
    }
  }
  ctx.readerDecided(refused === undefined, refused?.reason, refused?.device);
}

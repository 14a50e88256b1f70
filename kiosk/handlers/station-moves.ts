/**
 * Card moves at the station used by several handlers: every move powers the
 * card down first (its secure channel state must not outlive the job) and
 * reports a mechanism failure as a short reason code instead of throwing.
 */
import { isStationError } from '../../hardware/station.js';
import type { RunnerContext } from '../runner-context.js';

/** 'NO_CARD' → 'no-card': the `card-done` error format (wire/messages.ts). */
export function stationErrorCode(e: unknown): string {
  return isStationError(e) ? e.code.toLowerCase().replace(/_/g, '-') : 'io';
}

export async function powerOff(ctx: RunnerContext): Promise<void> {
  try {
    await ctx.station.transport.powerOff();
  } catch (e) {
    ctx.logger.warn('card power-off failed', { err: e });
  }
}

/** Moves the card to the reject bin; resolves with the failure code, or undefined when it went. */
export async function captureCard(ctx: RunnerContext): Promise<string | undefined> {
  ctx.state.cardKdd = undefined;
  await powerOff(ctx);
  try {
    await ctx.station.capture();
    return undefined;
  } catch (e) {
    const code = stationErrorCode(e);
    ctx.logger.error('capture failed', { code });
    return code;
  }
}

/** Moves the card to the gate (to the customer); resolves with the failure code, or undefined when it went. */
export async function ejectCard(ctx: RunnerContext): Promise<string | undefined> {
  ctx.state.cardKdd = undefined;
  await powerOff(ctx);
  try {
    await ctx.station.eject();
    return undefined;
  } catch (e) {
    const code = stationErrorCode(e);
    ctx.logger.error('eject failed', { code });
    return code;
  }
}

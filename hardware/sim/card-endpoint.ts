/**
 * What a simulated reader needs from the card in its slot: power and APDUs.
 * `SimCard` (hardware/sim/card/) has exactly this shape; tests may wrap one
 * (to stall or count) without subclassing it.
 */
export interface CardEndpoint {
  /** The ATR the card answers at reset (also available unpowered, as vpcd asks for it to poll presence). */
  readonly atr: Uint8Array;
  /** Cold reset; resolves with the ATR. */
  powerOn(): Promise<Uint8Array>;
  /** Deactivates the card: volatile state (selection, secure channel) is lost. */
  powerOff(): void;
  /** One command APDU in, one response APDU out. Rejects with SimPowerCutError when a power-cut hook fires. */
  transmit(apdu: Uint8Array): Promise<Uint8Array>;
}

/**
 * True for the simulator's power-cut signal (SimPowerCutError). Matched by
 * name so that this module does not pull the whole card OS into transports
 * that only need the shape.
 */
export function isPowerCut(e: unknown): boolean {
  return e instanceof Error && e.name === 'SimPowerCutError';
}

export { swOf } from '../transport-kit.js';

/**
 * What a transport may log about a card's failure: the error's name and code,
 * never its message. The message is the card's (a third-party endpoint's)
 * and may carry anything, card data included.
 */
export function cardErrorSummary(e: unknown): { name: string; code?: string } {
  const name = e instanceof Error ? e.name : typeof e;
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? { name, code } : { name };
}

/**
 * CardTransport: the one interface between Cardline and a card in a reader.
 * Implementations: the in-process simulator (hardware/sim/), a vpcd virtual
 * reader driven by pcscd, and (later) PC/SC and dispenser IC stations.
 *
 * The doc comments here are the contract; the contract suite in
 * test/contract/ holds every implementation to them.
 *
 * Life of a card:
 *   insert  -> 'inserted' event; the card is present but unpowered.
 *   powerOn -> cold reset; resolves with the ATR (ISO 7816-3 §8).
 *   transmit* -> one command APDU in, one response APDU out (raw bytes).
 *   powerOff -> contacts deactivated; volatile state (selected application,
 *              secure channel) is lost, as on a real card.
 *   remove  -> 'removed' event.
 *
 * Semantics on the edges:
 * - Removal: if the card is removed (or the reader goes away) while a
 *   transmit is pending, that transmit rejects with TransportError code
 *   'CARD_REMOVED'; later calls reject with 'NO_CARD' until a card is
 *   inserted. Whatever the card had committed before the cut is kept; what it
 *   had not is lost (the card decides, see the simulator's tearing model).
 * - Timeout: a transmit that gets no answer within its timeout rejects with
 *   'TIMEOUT'. The card state is then unknown, so the transport powers the
 *   card down: the next transmit rejects 'NOT_POWERED' until powerOn. A late
 *   answer to the abandoned command is discarded, never delivered to a later
 *   one.
 * - Power off during a call: the pending transmit rejects 'NOT_POWERED'.
 * - Close: close() rejects every pending call with 'CANCELED' (we closed it,
 *   as node-serialport's `canceled`), releases the reader and is idempotent.
 *   Any other call after close, powerOff included, rejects with 'CLOSED'.
 * - An APDU the reader or card cannot carry (an extended APDU on a reader
 *   or card without extended length) rejects 'UNSUPPORTED' before anything
 *   is sent; the card is untouched.
 * - Any other error means the device went away or misbehaved ('IO').
 * - Calls are serialized: a second transmit while one is pending rejects
 *   with 'BUSY'. A card is a half-duplex device.
 */

export type TransportErrorCode = 'NO_CARD' | 'CARD_REMOVED' | 'NOT_POWERED' | 'TIMEOUT' | 'CANCELED' | 'CLOSED' | 'BUSY' | 'UNSUPPORTED' | 'IO';

export class TransportError extends Error {
  override readonly name = 'TransportError';
  constructor(
    readonly code: TransportErrorCode,
    message: string,
  ) {
    super(`${code}: ${message}`);
  }
  /** True when the error means we closed the transport ourselves. */
  get canceled(): boolean {
    return this.code === 'CANCELED';
  }
}

export function isTransportError(e: unknown, code?: TransportErrorCode): e is TransportError {
  return e instanceof TransportError && (code === undefined || e.code === code);
}

export type CardTransportEvent = 'inserted' | 'removed';

export interface CardTransport {
  /** Human name of the reader (e.g. "Virtual PCD 00 00", "sim:0"). */
  readonly readerName: string;
  /** True while a card is in the reader (powered or not). */
  readonly cardPresent: boolean;
  /**
   * Cold-resets the card and resolves with its ATR.
   * Rejects 'NO_CARD' when no card is present.
   */
  powerOn(): Promise<Uint8Array>;
  /**
   * Sends one command APDU and resolves with the full response APDU
   * (data ‖ SW1 SW2). Rejects 'NOT_POWERED' before powerOn.
   * T=0 procedure bytes (61xx GET RESPONSE, 6Cxx re-issue) are handled by
   * the transport; callers see complete responses.
   */
  transmit(apdu: Uint8Array, opts?: { timeoutMs?: number }): Promise<Uint8Array>;
  /** Deactivates the contacts. Idempotent; resolves even when no card is present (rejects 'CLOSED' after close). */
  powerOff(): Promise<void>;
  /** Subscribes to insert/remove events. Returns an unsubscribe function. */
  on(event: CardTransportEvent, listener: () => void): () => void;
  /** Releases the reader; see "Close" above. */
  close(): Promise<void>;
}

/**
 * SimReader: an in-process CardTransport with one slot. Tests and the
 * embedded demo insert a simulated card (usually taken from a Hopper) and
 * remove it again; everything in between follows the contract in
 * hardware/card-transport.ts.
 *
 * Beyond the contract (simulator decisions):
 * - A power cut fired by the card's tearing hook (SimPowerCutError) rejects
 *   the pending call with CARD_REMOVED: to the host it looks exactly like a
 *   card pulled mid-command. The card stays in the slot, unpowered (as if
 *   pushed back in), with no events: powerOn works again, so a tearing test
 *   can read back what the card kept.
 * - A timeout powers the card down (the contract says callers must
 *   power-cycle; the reader enforces it): later transmits reject NOT_POWERED
 *   until powerOn.
 * - powerOff while a call is pending rejects that call with NOT_POWERED.
 * - Reader identity (an Ed25519 key for reader authentication, DESIGN §3
 *   step 2) belongs to the device around the slot: the simulated station's
 *   SimReaderIdentity (reader-key.ts).
 */
import { systemClock, type Clock } from '../../common/clock.js';
import { silentLogger, type Logger } from '../../common/log.js';
import { TransportError } from '../card-transport.js';
import { cardErrorSummary, isPowerCut, type CardEndpoint } from './card-endpoint.js';
import { SlotTransport } from '../slot-transport.js';

export interface SimReaderOptions {
  /** Reader name (default `sim:0`). */
  name?: string;
  clock?: Clock;
  logger?: Logger;
  /** Timeout for transmits that give none (default: none; the in-process card always answers). */
  defaultTimeoutMs?: number;
}

export type SimReaderErrorCode = 'SLOT_OCCUPIED';

/** Misuse of the simulated slot itself (not a CardTransport call). */
export class SimReaderError extends Error {
  override readonly name = 'SimReaderError';
  constructor(
    readonly code: SimReaderErrorCode,
    message: string,
  ) {
    super(`${code}: ${message}`);
  }
}

export class SimReader extends SlotTransport<CardEndpoint> {
  constructor(opts: SimReaderOptions = {}) {
    super({
      name: opts.name ?? 'sim:0',
      clock: opts.clock ?? systemClock,
      logger: (opts.logger ?? silentLogger).child('sim-reader'),
      defaultTimeoutMs: opts.defaultTimeoutMs,
    });
  }

  /** Puts a card into the slot (unpowered) and emits 'inserted'. */
  insert(card: CardEndpoint): void {
    if (this.closed) throw new TransportError('CLOSED', 'reader is closed');
    if (this.card) throw new SimReaderError('SLOT_OCCUPIED', `${this.readerName} already holds a card`);
    this.card = card;
    this.powered = false;
    this.log.debug('card inserted', { reader: this.readerName });
    this.events.emit('inserted', (e) => this.log.warn('listener failed', { event: 'inserted', error: e }));
  }

  /**
   * Takes the card out: its power is cut, a pending call rejects CARD_REMOVED,
   * and 'removed' is emitted (not after close). Returns the card, or undefined
   * when the slot was empty.
   */
  remove(): CardEndpoint | undefined {
    const card = this.card;
    if (!card) return undefined;
    this.card = undefined;
    this.powered = false;
    card.powerOff();
    this.calls.failPending(new TransportError('CARD_REMOVED', 'card removed during the call'));
    if (!this.closed) {
      this.log.debug('card removed', { reader: this.readerName });
      this.events.emit('removed', (e) => this.log.warn('listener failed', { event: 'removed', error: e }));
    }
    return card;
  }

  protected async coldReset(card: CardEndpoint): Promise<Uint8Array> {
    this.deactivate(card);
    return card.powerOn();
  }

  protected exchange(card: CardEndpoint, apdu: Uint8Array): Promise<Uint8Array> {
    return card.transmit(apdu);
  }

  protected deactivate(card: CardEndpoint): void {
    card.powerOff();
    this.powered = false;
  }

  protected release(): Promise<void> {
    if (this.card) this.deactivate(this.card);
    return Promise.resolve();
  }

  protected override mapError(what: string, e: unknown): TransportError {
    if (e instanceof TransportError) return e;
    if (isPowerCut(e)) {
      this.powered = false;
      this.log.info('card lost power', { reader: this.readerName, during: what });
      return new TransportError('CARD_REMOVED', `${what}: the card lost power`);
    }
    this.log.error('card failed', { reader: this.readerName, during: what, error: cardErrorSummary(e) });
    return new TransportError('IO', `${what}: the simulated card failed (${(e as Error).name ?? 'Error'})`);
  }
}

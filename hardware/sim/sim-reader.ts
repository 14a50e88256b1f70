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
 *   step 2) is not here yet: it needs @noble/curves, which is not installed.
 */
import { systemClock, type Clock } from '../../common/clock.js';
import { silentLogger, type Logger } from '../../common/log.js';
import { TransportError, type CardTransport, type CardTransportEvent } from '../card-transport.js';
import { cardErrorSummary, isPowerCut, swOf, type CardEndpoint } from './card-endpoint.js';
import { CallSlot, TransportEvents } from './transport-kit.js';

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

export class SimReader implements CardTransport {
  readonly readerName: string;
  private readonly log: Logger;
  private readonly events = new TransportEvents();
  private readonly calls: CallSlot;
  private readonly defaultTimeoutMs: number | undefined;
  private card: CardEndpoint | undefined;
  private powered = false;
  private closed = false;
  private apduCount = 0;

  constructor(opts: SimReaderOptions = {}) {
    this.readerName = opts.name ?? 'sim:0';
    this.log = (opts.logger ?? silentLogger).child('sim-reader');
    this.calls = new CallSlot(opts.clock ?? systemClock);
    this.defaultTimeoutMs = opts.defaultTimeoutMs;
  }

  get cardPresent(): boolean {
    return this.card !== undefined;
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

  powerOn(): Promise<Uint8Array> {
    const card = this.present('powerOn');
    if (card instanceof TransportError) return Promise.reject(card);
    return this.calls.run(
      'powerOn',
      async () => {
        // A power-on of a powered card is a cold reset: deactivate first (ISO 7816-3 §6.2.2).
        card.powerOff();
        this.powered = false;
        const atr = await card.powerOn();
        if (this.card === card) this.powered = true;
        this.log.debug('card powered', { reader: this.readerName, atrLength: atr.length });
        return atr;
      },
      { mapError: (e) => this.mapCardError('powerOn', e) },
    );
  }

  transmit(apdu: Uint8Array, opts: { timeoutMs?: number } = {}): Promise<Uint8Array> {
    const card = this.present('transmit');
    if (card instanceof TransportError) return Promise.reject(card);
    if (!this.powered && !this.calls.busy) return Promise.reject(new TransportError('NOT_POWERED', 'transmit before powerOn'));
    const n = ++this.apduCount;
    return this.calls.run(
      'transmit',
      async () => {
        const rapdu = await card.transmit(apdu);
        this.log.debug('apdu', { reader: this.readerName, n, sw: swOf(rapdu) });
        return rapdu;
      },
      {
        timeoutMs: opts.timeoutMs ?? this.defaultTimeoutMs,
        onTimeout: () => this.deactivate(card),
        mapError: (e) => this.mapCardError('transmit', e),
      },
    );
  }

  powerOff(): Promise<void> {
    if (this.closed) return Promise.reject(new TransportError('CLOSED', 'reader is closed'));
    this.calls.failPending(new TransportError('NOT_POWERED', 'card powered off during the call'));
    if (this.card) this.deactivate(this.card);
    return Promise.resolve();
  }

  on(event: CardTransportEvent, listener: () => void): () => void {
    return this.events.on(event, listener);
  }

  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.closed = true;
    this.calls.failPending(new TransportError('CANCELED', 'reader closed during the call'));
    if (this.card) this.deactivate(this.card);
    this.events.clear();
    this.log.debug('reader closed', { reader: this.readerName });
    return Promise.resolve();
  }

  /** The card in the slot, or the error a call must reject with (CLOSED before NO_CARD). */
  private present(what: string): CardEndpoint | TransportError {
    if (this.closed) return new TransportError('CLOSED', `${what} after close`);
    if (!this.card) return new TransportError('NO_CARD', `${what}: no card in ${this.readerName}`);
    return this.card;
  }

  private deactivate(card: CardEndpoint): void {
    card.powerOff();
    this.powered = false;
  }

  private mapCardError(what: string, e: unknown): TransportError {
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

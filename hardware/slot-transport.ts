/**
 * SlotTransport: the CardTransport call discipline (hardware/card-transport.ts)
 * for a reader with one slot, written once. Subclasses say how to talk to the
 * card in the slot: `coldReset`, `exchange`, `deactivate` and `release`; this
 * class handles the rest of the contract: CLOSED before NO_CARD, NOT_POWERED,
 * one call in flight (BUSY), timeouts that power the card down, powerOff and
 * close failing the pending call, and the insert/remove listeners.
 *
 * Subclasses set `card` and `powered` when a card arrives or leaves and
 * emit the events through `events`.
 */
import type { Clock } from '../common/clock.js';
import type { Logger } from '../common/log.js';
import { TransportError, type CardTransport, type CardTransportEvent } from './card-transport.js';
import { CallSlot, swOf, TransportEvents } from './transport-kit.js';

export interface SlotTransportOptions {
  name: string;
  clock: Clock;
  logger: Logger;
  /** Timeout of a transmit that gives none; undefined = none. */
  defaultTimeoutMs?: number | undefined;
  /** Timeout of powerOn; undefined = none. */
  powerOnTimeoutMs?: number | undefined;
}

export abstract class SlotTransport<C> implements CardTransport {
  readonly readerName: string;
  protected readonly log: Logger;
  protected readonly events = new TransportEvents();
  protected readonly calls: CallSlot;
  protected card: C | undefined;
  protected powered = false;
  protected closed = false;
  private readonly defaultTimeoutMs: number | undefined;
  private readonly powerOnTimeoutMs: number | undefined;
  private apduCount = 0;

  protected constructor(opts: SlotTransportOptions) {
    this.readerName = opts.name;
    this.log = opts.logger;
    this.calls = new CallSlot(opts.clock);
    this.defaultTimeoutMs = opts.defaultTimeoutMs;
    this.powerOnTimeoutMs = opts.powerOnTimeoutMs;
  }

  /** Powers `card` on, deactivating it first if powered (a cold reset, ISO 7816-3 §6.2.2); resolves with the ATR. */
  protected abstract coldReset(card: C): Promise<Uint8Array>;
  /** One command APDU to `card`, its full response back. */
  protected abstract exchange(card: C, apdu: Uint8Array): Promise<Uint8Array>;
  /** Cuts the card's power now; a reply still on its way must never reach a later call. Sets `powered` false. */
  protected abstract deactivate(card: C): void;
  /** Frees the slot's resources at close (the pending call has already failed CANCELED). */
  protected abstract release(): Promise<void>;
  /** Maps a failure of the card itself to what the caller sees; default: IO with the error's name only. */
  protected mapError?(what: string, e: unknown): TransportError;

  get cardPresent(): boolean {
    return this.card !== undefined;
  }

  powerOn(): Promise<Uint8Array> {
    const card = this.present('powerOn');
    if (card instanceof TransportError) return Promise.reject(card);
    return this.calls.run(
      'powerOn',
      async () => {
        const atr = await this.coldReset(card);
        if (this.card === card) this.powered = true;
        this.log.debug('card powered', { reader: this.readerName, atrLength: atr.length });
        return atr;
      },
      this.runOptions('powerOn', card, this.powerOnTimeoutMs),
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
        const rapdu = await this.exchange(card, apdu);
        this.log.debug('apdu', { reader: this.readerName, n, sw: swOf(rapdu) });
        return rapdu;
      },
      this.runOptions('transmit', card, opts.timeoutMs ?? this.defaultTimeoutMs),
    );
  }

  powerOff(): Promise<void> {
    if (this.closed) return Promise.reject(new TransportError('CLOSED', 'reader is closed'));
    this.calls.failPending(new TransportError('NOT_POWERED', 'card powered off during the call'));
    if (this.card !== undefined) this.deactivate(this.card);
    return Promise.resolve();
  }

  on(event: CardTransportEvent, listener: () => void): () => void {
    return this.events.on(event, listener);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.calls.failPending(new TransportError('CANCELED', 'reader closed during the call'));
    this.events.clear();
    await this.release();
    this.log.debug('reader closed', { reader: this.readerName });
  }

  /** The card in the slot, or the error a call must reject with (CLOSED before NO_CARD). */
  protected present(what: string): C | TransportError {
    if (this.closed) return new TransportError('CLOSED', `${what} after close`);
    if (this.card === undefined) return new TransportError('NO_CARD', `${what}: no card in ${this.readerName}`);
    return this.card;
  }

  private runOptions(what: string, card: C, timeoutMs: number | undefined) {
    return {
      timeoutMs,
      onTimeout: () => this.deactivate(card),
      mapError: this.mapError ? (e: unknown) => this.mapError!(what, e) : undefined,
    };
  }
}


/**
 * PcscStation: a CardStation on a plain PC/SC reader with a slot. There is
 * no hopper, gate or reject bin: the customer is all three. So:
 *
 * - feed() waits for the customer to insert a card and resolves when one
 *   is in; a card ALREADY in the slot counts as fed (a plain reader cannot
 *   tell "fed" from "left there": the customer put it in either way, and
 *   'OCCUPIED' would lock the kiosk until someone pulls it). No card within
 *   `feedTimeoutMs` rejects StationError 'TIMEOUT'; close() during the wait
 *   rejects 'CLOSED'. Concurrent feeds share one wait.
 * - eject() powers the card off and resolves: the customer takes it. With
 *   `ejectWaitMs` it waits for the removal too and rejects 'TIMEOUT' when the
 *   card is still there after it (nothing moved).
 * - capture() rejects 'UNSUPPORTED': a plain reader cannot keep a card.
 * - status(): hopperRemaining undefined (nothing to count) and hopper 'ok':
 *   feed() never fails for want of cards, and 'empty' would raise a
 *   hopper alarm that nobody can clear.
 * - identity: kind 'pcsc', no key (canSign false), descriptor and registry
 *   ID from the reader name (reader-name.ts).
 */
import { systemClock, type Clock } from '../../common/clock.js';
import { silentLogger, type Logger } from '../../common/log.js';
import { StationError, type CardStation, type StationStatus } from '../station.js';
import { startTimer } from '../timers.js';
import { PcscReaderIdentity } from './pcsc-identity.js';
import { PcscReaders, type PcscReadersOptions } from './pcsc-readers.js';
import type { PcscTransport, PcscTransportOptions } from './pcsc-transport.js';

export interface PcscStationOptions {
  /** The reader slot's PC/SC name ("ACS ACR39U ICC Reader 00 00"). */
  readerName: string;
  /** How long feed() waits for the customer (default 60 000 ms). */
  feedTimeoutMs?: number;
  /** When set, eject() waits this long for the card to be taken. */
  ejectWaitMs?: number;
  clock?: Clock;
  logger?: Logger;
  transport?: Omit<PcscTransportOptions, 'reader' | 'clock' | 'logger'>;
}

/** How long feed() waits by default for the customer to insert a card. */
export const PCSC_FEED_TIMEOUT_MS = 60_000;

export class PcscStation implements CardStation {
  readonly name: string;
  readonly identity: PcscReaderIdentity;
  readonly transport: PcscTransport;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly feedTimeoutMs: number;
  private readonly ejectWaitMs: number | undefined;
  private closed = false;
  private feeding: Promise<{ label: string }> | undefined;
  private readonly aborts = new Set<() => void>();
  private feeds = 0;

  /**
   * A station on `readers`' slot `readerName` (PcscError 'NO_READER' when
   * not attached). `ownsReaders`: close() closes the watcher too.
   */
  constructor(
    private readonly readers: PcscReaders,
    opts: PcscStationOptions,
    private readonly ownsReaders = false,
  ) {
    this.clock = opts.clock ?? systemClock;
    this.log = (opts.logger ?? silentLogger).child('pcsc-station');
    this.transport = readers.openTransport(opts.readerName, { ...opts.transport, clock: this.clock, logger: opts.logger });
    this.identity = new PcscReaderIdentity(readers.info(opts.readerName)!);
    this.name = opts.readerName;
    this.feedTimeoutMs = opts.feedTimeoutMs ?? PCSC_FEED_TIMEOUT_MS;
    this.ejectWaitMs = opts.ejectWaitMs;
  }

  /** Opens its own reader watcher (pcscd probed first) and a station on `readerName`. */
  static async open(opts: PcscStationOptions & { readers?: PcscReadersOptions }): Promise<PcscStation> {
    const readers = await PcscReaders.open({ clock: opts.clock, logger: opts.logger, ...opts.readers });
    try {
      await readers.settled(opts.readers?.timeoutMs ?? 3000);
      return new PcscStation(readers, opts, true);
    } catch (e) {
      await readers.close();
      throw e;
    }
  }

  cardAtStation(): Promise<boolean> {
    if (this.closed) return Promise.reject(closedError());
    return Promise.resolve(this.transport.cardPresent);
  }

  feed(): Promise<{ label: string }> {
    if (this.closed) return Promise.reject(closedError());
    if (this.transport.cardPresent) return Promise.resolve(this.fed());
    this.feeding ??= this.waitFor('inserted', this.feedTimeoutMs, 'no card inserted').then(
      () => this.fed(),
    ).finally(() => (this.feeding = undefined));
    return this.feeding;
  }

  async eject(): Promise<void> {
    if (this.closed) throw closedError();
    if (!this.transport.cardPresent) throw new StationError('NO_CARD', 'no card in the reader');
    await this.transport.powerOff();
    this.log.info('card released to the customer', { reader: this.name });
    if (this.ejectWaitMs !== undefined && this.transport.cardPresent) await this.waitFor('removed', this.ejectWaitMs, 'card not taken');
  }

  capture(): Promise<void> {
    if (this.closed) return Promise.reject(closedError());
    return Promise.reject(new StationError('UNSUPPORTED', 'a plain reader cannot capture a card: the customer holds it'));
  }

  status(): Promise<StationStatus> {
    if (this.closed) return Promise.reject(closedError());
    return Promise.resolve({ hopperRemaining: undefined, hopper: 'ok', cardAtStation: this.transport.cardPresent });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const abort of [...this.aborts]) abort();
    await this.transport.close();
    if (this.ownsReaders) await this.readers.close();
  }

  private fed(): { label: string } {
    this.feeds++;
    return { label: `${this.identity.id}#${this.feeds}` };
  }

  /** Waits for a transport event; TIMEOUT after `ms`, CLOSED on close. */
  private waitFor(event: 'inserted' | 'removed', ms: number, what: string): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const timer = startTimer(this.clock, ms);
      const finish = (err?: StationError): void => {
        off();
        timer.cancel();
        this.aborts.delete(onAbort);
        if (err) reject(err);
        else resolve();
      };
      const off = this.transport.on(event, () => finish());
      const onAbort = (): void => finish(closedError());
      this.aborts.add(onAbort);
      void timer.done.then(() => finish(new StationError('TIMEOUT', `${what} within ${ms} ms`)));
    });
  }
}

function closedError(): StationError {
  return new StationError('CLOSED', 'station is closed');
}

/**
 * PcscReaders: the PC/SC readers attached to this host, as pcscd reports
 * them, kept up to date ('attached' / 'detached' events), and the place to
 * open a PcscTransport on one of them.
 *
 * Opening probes pcscd's socket first (service.ts): the binding itself
 * would block the event loop for ever when pcscd is absent. The socket is
 * PCSCLITE_CSOCK_NAME (or /run/pcscd/pcscd.comm); `socketPath` sets that
 * variable for the whole process, before the binding's first context,
 * since libpcsclite reads it only once.
 *
 * When pcscd goes away every reader ends ('detached', cards 'removed') and
 * the watcher emits 'error' (PcscError NO_SERVICE); it does not reconnect:
 * open a new one.
 */
import { systemClock, type Clock } from '../../common/clock.js';
import { silentLogger, type Logger } from '../../common/log.js';
import { startTimer } from '../timers.js';
import { nativePcscLite, SCARD, scardCode, scardHex, type PcscCardReaderLike, type PcscLiteFactory, type PcscLiteLike, type PcscStatus } from './binding.js';
import { PcscError } from './errors.js';
import { parseReaderName, type ParsedReaderName } from './reader-name.js';
import { pcscdSocketPath, probePcscd } from './service.js';
import { PcscTransport, type PcscTransportOptions } from './pcsc-transport.js';

export interface PcscReadersOptions {
  /** Sets PCSCLITE_CSOCK_NAME for this process before the binding starts (see above). */
  socketPath?: string;
  /** How long to wait for pcscd and the first reader listing (default 3000 ms). */
  timeoutMs?: number;
  clock?: Clock;
  logger?: Logger;
  /** The binding (tests pass a fake); default @pokusew/pcsclite. */
  factory?: PcscLiteFactory;
  /** Skip the socket probe (a fake binding has no socket). */
  skipProbe?: boolean;
}

export interface PcscReaderInfo extends ParsedReaderName {
  /** A card is in the slot (SCARD_STATE_PRESENT); undefined before pcscd's first status report. */
  readonly cardPresent: boolean | undefined;
}

/** See close(). */
const QUIET_MS = 300;
const MAX_QUIET_WAIT_MS = 3000;

export type PcscReadersEvent = 'attached' | 'detached' | 'error';

interface Entry {
  reader: PcscCardReaderLike;
  parsed: ParsedReaderName;
  status: PcscStatus | undefined;
  firstStatus: Promise<void>;
}

export class PcscReaders {
  private readonly entries = new Map<string, Entry>();
  private readonly listeners = new Map<PcscReadersEvent, Set<(arg: string | Error) => void>>();
  private closed = false;
  private lastStatusAt = -Infinity;

  private constructor(
    private readonly lite: PcscLiteLike,
    private readonly clock: Clock,
    private readonly log: Logger,
  ) {}

  /** Probes pcscd, starts the binding, resolves after the first listing. Rejects PcscError 'NO_SERVICE'. */
  static async open(opts: PcscReadersOptions = {}): Promise<PcscReaders> {
    const timeoutMs = opts.timeoutMs ?? 3000;
    if (opts.socketPath !== undefined) process.env.PCSCLITE_CSOCK_NAME = opts.socketPath;
    if (!opts.skipProbe) await probePcscd(pcscdSocketPath(), timeoutMs);
    const lite = (opts.factory ?? nativePcscLite())();
    const readers = new PcscReaders(lite, opts.clock ?? systemClock, (opts.logger ?? silentLogger).child('pcsc-readers'));
    const listed = readers.watch();
    const timer = startTimer(readers.clock, timeoutMs);
    const ok = await Promise.race([listed.then(() => true), timer.done.then(() => false)]);
    timer.cancel();
    if (!ok) {
      await readers.close();
      throw new PcscError('NO_SERVICE', `no PC/SC service: no reader listing within ${timeoutMs} ms`);
    }
    return readers;
  }

  /** Names of the attached reader slots, in the order pcscd listed them. */
  get names(): string[] {
    return [...this.entries.keys()];
  }

  /** What the name tells about a reader, and whether a card is in it; undefined when not attached. */
  info(name: string): PcscReaderInfo | undefined {
    const e = this.entries.get(name);
    if (!e) return undefined;
    return { ...e.parsed, cardPresent: e.status === undefined ? undefined : (e.status.state & SCARD.STATE_PRESENT) !== 0 };
  }

  /** Resolves once every attached reader has reported its status (or after `ms`). */
  async settled(ms: number): Promise<void> {
    const timer = startTimer(this.clock, ms);
    await Promise.race([Promise.all([...this.entries.values()].map((e) => e.firstStatus)), timer.done]);
    timer.cancel();
  }

  on(event: 'attached' | 'detached', listener: (name: string) => void): () => void;
  on(event: 'error', listener: (e: Error) => void): () => void;
  on(event: PcscReadersEvent, listener: (arg: never) => void): () => void {
    const set = this.listeners.get(event) ?? new Set();
    this.listeners.set(event, set);
    const l = listener as (arg: string | Error) => void;
    set.add(l);
    return () => void set.delete(l);
  }

  /** A transport on reader slot `name`. Throws PcscError 'NO_READER' when it is not attached, 'CLOSED' after close. */
  openTransport(name: string, opts: Omit<PcscTransportOptions, 'reader'> = {}): PcscTransport {
    if (this.closed) throw new PcscError('CLOSED', 'reader watcher is closed');
    const e = this.entries.get(name);
    if (!e) throw new PcscError('NO_READER', `no PC/SC reader named '${name}' (attached: ${this.names.length})`);
    const transport = new PcscTransport({ clock: this.clock, logger: this.log, ...opts, reader: e.reader });
    if (e.status) transport.onStatus(e.status);
    return transport;
  }

  /**
   * Stops watching; closes the binding's reader threads. Transports opened
   * here should be closed first.
   *
   * The binding's reader close() cancels the status thread's wait a few
   * times over 50 ms and then joins the thread, blocking the event loop; a
   * cancel that lands while the thread is between two waits (a status change
   * being fetched from pcscd: a card arriving) is lost and the join never
   * returns. So close waits for the readers to be quiet first
   * (QUIET_MS without a status report, at most MAX_QUIET_WAIT_MS).
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const start = this.clock.now();
    while (this.clock.now() - this.lastStatusAt < QUIET_MS && this.clock.now() - start < MAX_QUIET_WAIT_MS) {
      await this.clock.sleep(QUIET_MS - (this.clock.now() - this.lastStatusAt));
    }
    for (const e of this.entries.values()) e.reader.close();
    this.entries.clear();
    this.lite.close();
    this.listeners.clear();
  }

  /** Subscribes to the binding; resolves when the first listing has been delivered. */
  private watch(): Promise<void> {
    let listed!: () => void;
    const first = new Promise<void>((r) => (listed = r));
    // The binding calls start() on the next tick and emits 'reader' from its
    // callback, but nothing when there are no readers: wrapping start tells
    // us that a listing is complete, whatever its length.
    const start = this.lite.start;
    if (typeof start === 'function') {
      this.lite.start = (cb) =>
        start.call(this.lite, (err, data) => {
          cb(err, data);
          listed();
        });
    } else {
      listed();
    }
    this.lite.on('error', (e: Error) => {
      listed();
      if (this.closed) return;
      const code = scardCode(e);
      this.log.warn('PC/SC service lost', { scard: scardHex(code) });
      this.emit('error', new PcscError('NO_SERVICE', `PC/SC service lost (${scardHex(code)})`));
    });
    this.lite.on('reader', (reader) => this.attach(reader));
    return first;
  }

  private attach(reader: PcscCardReaderLike): void {
    let parsed: ParsedReaderName;
    try {
      parsed = parseReaderName(reader.name);
    } catch (e) {
      this.log.warn('reader ignored: invalid name', { length: typeof reader.name === 'string' ? reader.name.length : 0, error: e });
      reader.on('error', () => undefined);
      return;
    }
    let gotStatus!: () => void;
    const entry: Entry = { reader, parsed, status: undefined, firstStatus: new Promise((r) => (gotStatus = r)) };
    this.entries.set(reader.name, entry);
    reader.on('status', (s: PcscStatus) => {
      entry.status = s;
      this.lastStatusAt = this.clock.now();
      gotStatus();
    });
    // Without a listener the binding's 'error' would throw; 'end' follows it.
    reader.on('error', (e: Error) => this.log.debug('reader status failed', { reader: reader.name, scard: scardHex(scardCode(e)) }));
    reader.on('end', () => {
      gotStatus();
      if (this.entries.get(reader.name) !== entry) return;
      this.entries.delete(reader.name);
      this.log.info('reader detached', { reader: reader.name });
      this.emit('detached', reader.name);
    });
    this.log.info('reader attached', { reader: reader.name, id: parsed.id });
    this.emit('attached', reader.name);
  }

  private emit(event: PcscReadersEvent, arg: string | Error): void {
    for (const l of [...(this.listeners.get(event) ?? [])]) {
      try {
        l(arg);
      } catch (e) {
        this.log.warn('listener failed', { event, error: e });
      }
    }
  }
}

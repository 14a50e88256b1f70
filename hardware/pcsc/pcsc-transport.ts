/**
 * PcscTransport: a CardTransport on one PC/SC reader slot (pcscd through
 * @pokusew/pcsclite). SlotTransport holds the call discipline; this class
 * maps PC/SC onto it:
 *
 * - Presence follows the reader's 'status' events: SCARD_STATE_PRESENT
 *   puts a card in (event 'inserted', unpowered), SCARD_STATE_EMPTY or the
 *   reader's 'end' (unplugged, pcscd gone) takes it out ('removed'; a
 *   pending call rejects CARD_REMOVED).
 * - powerOn = SCardDisconnect(UNPOWER) if connected, then SCardConnect
 *   (exclusive by default, T=0|T=1): a cold reset. The ATR is the one pcscd
 *   reports in the reader status. `protocol` tells the negotiated protocol.
 * - powerOff, a timeout = SCardDisconnect(UNPOWER). The binding serializes
 *   calls on a reader, so a disconnect queued behind a hung transmit runs
 *   when that transmit ends; an epoch counter makes sure nothing of the
 *   abandoned exchange (a late answer, a GET RESPONSE round) reaches a
 *   later call.
 * - A transmit that fails ambiguously (no response bytes, SCARD_E_NOT_TRANSACTED,
 *   comm error: what a card pulled mid-command looks like to pcscd) waits up
 *   to `removalGraceMs` for pcscd to report the removal: CARD_REMOVED if it
 *   does, IO otherwise.
 *
 * Logs: reader name, lengths, SW, SCARD codes. Never APDU or ATR bytes.
 */
import { systemClock, type Clock } from '../../common/clock.js';
import { silentLogger, type Logger } from '../../common/log.js';
import { TransportError } from '../card-transport.js';
import { SlotTransport } from '../slot-transport.js';
import { startTimer } from '../timers.js';
import { exchangeApdu, extendedAllowed, MAX_RESPONSE } from './apdu-exchange.js';
import { parseAtr, plausibleAtr, type AtrInfo } from './atr.js';
import { meansGone, SCARD, SCARD_CODE, scardCode, scardHex, type PcscCardReaderLike, type PcscStatus } from './binding.js';

/** How long powerOn waits for pcscd to publish the ATR of a card it has just powered, and how often it looks. */
const ATR_WAIT_MS = 2000;
const ATR_POLL_MS = 20;

export interface PcscTransportOptions {
  reader: PcscCardReaderLike;
  clock?: Clock;
  logger?: Logger;
  defaultTimeoutMs?: number;
  powerOnTimeoutMs?: number;
  /** 'exclusive' (default: the kiosk owns the card) or 'shared'. */
  shareMode?: 'exclusive' | 'shared';
  /** How long an ambiguous transmit failure waits for a removal report (default 2000 ms). */
  removalGraceMs?: number;
  /** Cap on GET RESPONSE rounds per command (default 256). */
  maxGetResponse?: number;
}

/** The card in the slot; a new object per insertion. */
interface Inserted {
  atr: Uint8Array;
}

export type PcscProtocol = 'T=0' | 'T=1';

export class PcscTransport extends SlotTransport<Inserted> {
  private readonly reader: PcscCardReaderLike;
  private readonly clock: Clock;
  private readonly shareMode: number;
  private readonly removalGraceMs: number;
  private readonly maxGetResponse: number | undefined;
  private epoch = 0;
  private proto: 0 | 1 | undefined;
  private atrInfo: AtrInfo | undefined;
  private disconnecting: Promise<void> = Promise.resolve();
  private inFlight = 0;
  private readonly removalWaiters = new Set<() => void>();
  private readonly unsubscribe: () => void;

  constructor(opts: PcscTransportOptions) {
    const clock = opts.clock ?? systemClock;
    const logger = (opts.logger ?? silentLogger).child('pcsc');
    super({ name: opts.reader.name, clock, logger, defaultTimeoutMs: opts.defaultTimeoutMs, powerOnTimeoutMs: opts.powerOnTimeoutMs });
    this.reader = opts.reader;
    this.clock = clock;
    this.shareMode = opts.shareMode === 'shared' ? SCARD.SHARE_SHARED : SCARD.SHARE_EXCLUSIVE;
    this.removalGraceMs = opts.removalGraceMs ?? 2000;
    this.maxGetResponse = opts.maxGetResponse;
    const onStatus = (s: PcscStatus): void => this.onStatus(s);
    const onEnd = (): void => this.onEnd();
    const onError = (e: Error): void => this.log.warn('reader status failed', { reader: this.readerName, scard: scardHex(scardCode(e)) });
    this.reader.on('status', onStatus);
    this.reader.on('end', onEnd);
    this.reader.on('error', onError);
    this.unsubscribe = () => {
      this.reader.removeListener('status', onStatus);
      this.reader.removeListener('end', onEnd);
      this.reader.removeListener('error', onError);
    };
  }

  /** The protocol negotiated at the last powerOn; undefined while unpowered. */
  get protocol(): PcscProtocol | undefined {
    if (!this.powered || this.proto === undefined) return undefined;
    return this.proto === 0 ? 'T=0' : 'T=1';
  }

  /** True when extended APDUs may be sent to the powered card (T=1 and extended Lc/Le in its ATR). */
  get extendedLength(): boolean {
    return this.protocol !== undefined && extendedAllowed({ protocol: this.proto!, cardExtendedLength: this.atrInfo?.extendedLength ?? false });
  }

  /** Feeds one status report of the reader (the binding's 'status' event). */
  onStatus(s: PcscStatus): void {
    if (this.closed || typeof s?.state !== 'number') return;
    const present = (s.state & SCARD.STATE_PRESENT) !== 0;
    if (present) {
      const atr = s.atr && s.atr.length > 0 ? new Uint8Array(s.atr) : undefined;
      if (this.card === undefined) {
        this.card = { atr: atr ?? new Uint8Array(0) };
        this.powered = false;
        this.log.info('card inserted', { reader: this.readerName, atrLength: atr?.length ?? 0 });
        this.events.emit('inserted', (e) => this.log.warn('listener failed', { event: 'inserted', error: e }));
      } else if (atr !== undefined) {
        this.card.atr = atr;
      }
    } else if ((s.state & (SCARD.STATE_EMPTY | SCARD.STATE_UNAVAILABLE | SCARD.STATE_UNKNOWN)) !== 0) {
      this.cardGone('card removed');
    }
  }

  /** The reader went away (unplugged, pcscd stopped): as a removal, and the slot stays empty. */
  onEnd(): void {
    if (this.closed) return;
    this.cardGone('reader gone');
  }

  private cardGone(why: string): void {
    for (const w of [...this.removalWaiters]) w();
    if (this.card === undefined) return;
    this.card = undefined;
    this.powered = false;
    this.epoch++;
    this.calls.failPending(new TransportError('CARD_REMOVED', `${why} during the call`));
    this.releaseHandle('leave');
    this.log.info(why, { reader: this.readerName });
    this.events.emit('removed', (e) => this.log.warn('listener failed', { event: 'removed', error: e }));
  }

  protected async coldReset(card: Inserted): Promise<Uint8Array> {
    this.epoch++;
    await this.disconnecting;
    if (this.reader.connected) await this.disconnect(SCARD.UNPOWER_CARD);
    const protocol = await new Promise<number>((resolve, reject) =>
      this.reader.connect({ share_mode: this.shareMode, protocol: SCARD.PROTOCOL_T0 | SCARD.PROTOCOL_T1 }, (err, p) =>
        err ? reject(this.mapScard('powerOn', err)) : resolve(p),
      ),
    );
    if (this.card !== card) throw new TransportError('CARD_REMOVED', 'card removed during powerOn');
    if (protocol !== SCARD.PROTOCOL_T0 && protocol !== SCARD.PROTOCOL_T1) throw new TransportError('IO', `unexpected protocol ${protocol}`);
    // A card reported present before pcscd could power it (a slow card, a loaded machine) has no ATR yet;
    // SCardConnect powers it, and pcscd publishes the ATR in the next status report.
    if (!plausibleAtr(card.atr)) await this.atrReport(card, ATR_WAIT_MS);
    if (this.card !== card) throw new TransportError('CARD_REMOVED', 'card removed during powerOn');
    if (!plausibleAtr(card.atr)) throw new TransportError('IO', `implausible ATR of ${card.atr.length} bytes`);
    this.proto = protocol === SCARD.PROTOCOL_T0 ? 0 : 1;
    this.atrInfo = parseAtr(card.atr);
    this.log.debug('connected', { reader: this.readerName, protocol: this.proto === 0 ? 'T=0' : 'T=1', extended: this.atrInfo?.extendedLength ?? false });
    return card.atr.slice();
  }

  protected exchange(_card: Inserted, apdu: Uint8Array): Promise<Uint8Array> {
    const epoch = this.epoch;
    const opts = { protocol: this.proto ?? 1, cardExtendedLength: this.atrInfo?.extendedLength ?? false, maxGetResponse: this.maxGetResponse };
    const resLen = extendedAllowed(opts) ? MAX_RESPONSE : 258;
    return exchangeApdu((cmd) => this.send(cmd, resLen, epoch), apdu, opts);
  }

  private async send(cmd: Uint8Array, resLen: number, epoch: number): Promise<Uint8Array> {
    const abandoned = (): TransportError => new TransportError('NOT_POWERED', 'exchange abandoned (card powered down)');
    if (this.epoch !== epoch) throw abandoned();
    const protocol = this.proto === 0 ? SCARD.PROTOCOL_T0 : SCARD.PROTOCOL_T1;
    this.inFlight++;
    let r: Uint8Array;
    try {
      r = await new Promise<Uint8Array>((resolve, reject) =>
        this.reader.transmit(Buffer.from(cmd), resLen, protocol, (err, data) => (err ? reject(err) : resolve(new Uint8Array(data)))),
      );
    } catch (e) {
      if (this.epoch !== epoch) throw abandoned();
      const code = scardCode(e);
      if (meansGone(code)) throw new TransportError('CARD_REMOVED', `card gone (${scardHex(code)})`);
      if (code === SCARD_CODE.NOT_TRANSACTED || code === SCARD_CODE.COMM_ERROR || code === SCARD_CODE.UNRESPONSIVE_CARD) {
        if (await this.removedWithin(this.removalGraceMs)) throw new TransportError('CARD_REMOVED', `card removed (${scardHex(code)})`);
      }
      throw this.mapScard('transmit', e);
    } finally {
      this.inFlight--;
    }
    if (this.epoch !== epoch) throw abandoned();
    if (r.length < 2) {
      if (await this.removedWithin(this.removalGraceMs)) throw new TransportError('CARD_REMOVED', 'card removed (empty response)');
      throw new TransportError('IO', `response of ${r.length} bytes has no status word`);
    }
    return r;
  }

  /** True when the card is (or within `ms` becomes) absent. */
  private removedWithin(ms: number): Promise<boolean> {
    if (this.card === undefined) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = startTimer(this.clock, ms);
      const done = (removed: boolean): void => {
        this.removalWaiters.delete(onRemoved);
        timer.cancel();
        resolve(removed);
      };
      const onRemoved = (): void => done(true);
      this.removalWaiters.add(onRemoved);
      void timer.done.then(() => done(false));
    });
  }

  protected deactivate(_card: Inserted): void {
    this.powered = false;
    this.epoch++;
    this.releaseHandle('unpower');
  }

  protected async release(): Promise<void> {
    this.unsubscribe();
    for (const w of [...this.removalWaiters]) w();
    this.releaseHandle('unpower');
    // A disconnect queued behind a hung transmit must not hold close() up.
    if (this.inFlight === 0) await this.disconnecting;
  }

  protected override mapError(what: string, e: unknown): TransportError {
    return e instanceof TransportError ? e : this.mapScard(what, e);
  }

  /** Disconnects (queued after any earlier disconnect); failures are logged, never thrown. */
  private releaseHandle(how: 'unpower' | 'leave'): void {
    const disposition = how === 'unpower' ? SCARD.UNPOWER_CARD : SCARD.LEAVE_CARD;
    this.disconnecting = this.disconnecting
      .then(() => (this.reader.connected ? this.disconnect(disposition) : undefined))
      .catch((e: unknown) => this.log.warn('disconnect failed', { reader: this.readerName, scard: scardHex(scardCode(e)) }));
  }

  private disconnect(disposition: number): Promise<void> {
    return new Promise((resolve, reject) => this.reader.disconnect(disposition, (err) => (err ? reject(this.mapScard('disconnect', err)) : resolve())));
  }

  /** A binding error as the caller sees it: the SCARD code only (the binding's text is not ours to pass on). */
  /** Waits (at most `ms`) for a status report to give `card` a plausible ATR. */
  private async atrReport(card: Inserted, ms: number): Promise<void> {
    const timer = startTimer(this.clock, ms);
    let up = false;
    void timer.done.then(() => (up = true));
    try {
      while (!up && this.card === card && !plausibleAtr(card.atr)) await this.clock.sleep(ATR_POLL_MS);
    } finally {
      timer.cancel();
    }
  }

  private mapScard(what: string, e: unknown): TransportError {
    if (e instanceof TransportError) return e;
    const code = scardCode(e);
    if (code === SCARD_CODE.NO_SMARTCARD || code === SCARD_CODE.REMOVED_CARD) return new TransportError(what === 'powerOn' ? 'NO_CARD' : 'CARD_REMOVED', `${what}: no card (${scardHex(code)})`);
    if (code === SCARD_CODE.UNPOWERED_CARD) return new TransportError('NOT_POWERED', `${what}: card unpowered (${scardHex(code)})`);
    if (code === SCARD_CODE.SHARING_VIOLATION) return new TransportError('IO', `${what}: reader in use by another application (${scardHex(code)})`);
    return new TransportError('IO', `${what} failed (${scardHex(code)})`);
  }
}

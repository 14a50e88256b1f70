/**
 * Request/response matcher of the serial dispenser protocol (the "Waitress"
 * of zigbee-herdsman, STYLE.md): one command in flight, matched to its
 * response by SEQ, with a timeout per step and bounded retransmission
 * (docs/serial-dispenser.md "Retransmission and timeouts"):
 *
 * 1. Send the command frame; wait `ackTimeoutMs` for ACK.
 *    - NAK (the device saw a bad BCC) or no answer: send the same frame
 *      again (same SEQ: the device answers a repeat without executing it
 *      twice), at most `maxRetries` more times; then NAK_LIMIT / TIMEOUT.
 *    - The response frame itself (its ACK was lost) counts as ACK + response.
 * 2. After ACK, wait the command's response timeout for the response frame.
 *    - A corrupt frame or no frame: send ENQ (the device repeats its last
 *      response), at most `maxRetries` times; then TIMEOUT.
 * Frames with another SEQ are late answers to abandoned commands: dropped.
 * Each timeout also abandons a stalled partial frame in the parser.
 */
import type { Clock } from '../../common/clock.js';
import type { Logger } from '../../common/log.js';
import { DispenserError } from './errors.js';
import { ACK, ENQ, NAK, type Frame } from './frame.js';
import type { FrameParser, ParserEvent } from './parser.js';
import type { FrameWriter } from './writer.js';

export interface MatcherOptions {
  clock: Clock;
  logger: Logger;
  ackTimeoutMs: number;
  maxRetries: number;
  /** First SEQ (random in production: a device's last SEQ from an earlier session must not match). */
  firstSeq: number;
}

type Waiter = (e: ParserEvent | 'timeout' | DispenserError) => void;

export class Matcher {
  private seq: number;
  private queue: Promise<unknown> = Promise.resolve();
  private events: ParserEvent[] = [];
  private waiter: Waiter | undefined;
  private failure: DispenserError | undefined;

  constructor(
    private readonly parser: FrameParser,
    private readonly writer: FrameWriter,
    private readonly opts: MatcherOptions,
  ) {
    this.seq = opts.firstSeq & 0xff;
  }

  /** Feed every chunk the port delivers. */
  onData(chunk: Uint8Array): void {
    this.deliver(this.parser.push(chunk));
  }

  /** Fails the pending request and every later one with `e` (close, port error). */
  fail(e: DispenserError): void {
    this.failure ??= e;
    this.waiter?.(this.failure);
  }

  /** Sends one command; resolves with its response frame (any result code: the caller maps it). */
  request(cmd: number, pm: number, data: Uint8Array, responseTimeoutMs: number): Promise<Frame> {
    const next = this.queue.then(() => this.exchange(cmd, pm, data, responseTimeoutMs));
    this.queue = next.catch(() => undefined);
    return next;
  }

  private async exchange(cmd: number, pm: number, data: Uint8Array, responseTimeoutMs: number): Promise<Frame> {
    if (this.failure) throw this.failure;
    this.seq = (this.seq + 1) & 0xff;
    const seq = this.seq;
    const what = `command ${String.fromCharCode(cmd)} seq ${seq}`;
    this.events = []; // Whatever arrived between requests answers nothing we are waiting for.
    let nakCount = 0;
    for (let send = 0; send <= this.opts.maxRetries; send++) {
      await this.writer.frame({ seq, cmd, pm, data });
      const r = await this.waitAck(seq);
      if (r === 'nak') {
        nakCount++;
        this.opts.logger.debug('NAK; retransmitting', { cmd, seq, send });
        continue;
      }
      if (r === 'timeout') {
        this.opts.logger.debug('no ACK; retransmitting', { cmd, seq, send });
        continue;
      }
      if (r !== 'ack') return r;
      return this.waitResponse(seq, responseTimeoutMs, what);
    }
    const tries = this.opts.maxRetries + 1;
    if (nakCount === tries) throw new DispenserError('NAK_LIMIT', `${what}: the device answered NAK to all ${tries} tries`);
    throw new DispenserError('TIMEOUT', `${what}: no ACK after ${tries} tries (${nakCount} NAK)`);
  }

  private async waitAck(seq: number): Promise<'ack' | 'nak' | 'timeout' | Frame> {
    for (;;) {
      const e = await this.next(this.opts.ackTimeoutMs);
      if (e === 'timeout') return 'timeout';
      if (e.kind === 'frame' && e.frame.seq === seq) return e.frame;
      if (e.kind === 'control' && e.byte === ACK) return 'ack';
      if (e.kind === 'control' && e.byte === NAK) return 'nak';
    }
  }

  private async waitResponse(seq: number, timeoutMs: number, what: string): Promise<Frame> {
    for (let enq = 0; ; ) {
      const e = await this.next(timeoutMs);
      if (e !== 'timeout' && e.kind === 'frame') {
        if (e.frame.seq === seq) return e.frame;
        this.opts.logger.debug('stale response dropped', { seq: e.frame.seq, want: seq });
        continue;
      }
      if (e !== 'timeout' && e.kind !== 'corrupt') continue; // A repeated ACK (or noise that looks like one).
      if (enq >= this.opts.maxRetries) throw new DispenserError('TIMEOUT', `${what}: no valid response after ${enq} ENQ`);
      enq++;
      this.opts.logger.debug('asking for the response again', { seq, enq, reason: e === 'timeout' ? 'timeout' : 'corrupt' });
      await this.writer.control(ENQ);
    }
  }

  /** The next parser event, or 'timeout' after `ms` (which also abandons a stalled partial frame). */
  private next(ms: number): Promise<ParserEvent | 'timeout'> {
    if (this.failure) return Promise.reject(this.failure);
    const queued = this.events.shift();
    if (queued) return Promise.resolve(queued);
    return new Promise((resolve, reject) => {
      const timer = new AbortController();
      let settled = false;
      const me: Waiter = (e) => {
        if (settled) return;
        settled = true;
        if (this.waiter === me) this.waiter = undefined;
        timer.abort();
        if (e instanceof DispenserError) reject(e);
        else resolve(e);
      };
      this.waiter = me;
      this.opts.clock.sleep(ms, timer.signal).then(
        () => {
          if (settled) return;
          settled = true;
          if (this.waiter === me) this.waiter = undefined;
          this.events.push(...this.parser.abandonPartial());
          resolve('timeout');
        },
        () => undefined,
      );
    });
  }

  private deliver(events: ParserEvent[]): void {
    for (const e of events) {
      if (this.waiter) this.waiter(e);
      else this.events.push(e);
    }
  }
}

/**
 * Server-sent events (WHATWG HTML §9.2): a stream per open page, a pool
 * with a cap per kind of stream (customer streams cannot take the
 * operator's slots, nor the operator's the customer's: a local process
 * holding customer streams does not shut out the operator view), a bound
 * on what may wait unsent for a client that does not read (it is dropped,
 * not buffered without end), and heartbeats (comment lines) that the
 * server's ticker sends on the injected clock.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ScreenError } from './errors.js';

export type StreamKind = 'customer' | 'operator';

/** What may wait in a stream's buffer for a client that does not read before the stream is dropped. */
export const MAX_BUFFERED_BYTES = 256 * 1024;

/** The part of a ServerResponse a stream writes to. */
export type SseResponse = Pick<ServerResponse, 'write' | 'end' | 'destroy' | 'on' | 'writableLength'>;

export class SseStream {
  #closed = false;
  readonly #onClose: (() => void)[] = [];

  constructor(
    readonly kind: StreamKind,
    private readonly res: SseResponse,
    /** The operator session behind the stream (checked at each heartbeat). */
    readonly session?: string,
    private readonly maxBuffered = MAX_BUFFERED_BYTES,
    /** Called once when the stream is dropped for a client that does not read. */
    private readonly onOverflow?: (s: SseStream) => void,
  ) {
    res.on('close', () => this.#end());
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** One event; `data` is JSON on one line (JSON.stringify never writes a raw newline). */
  send(event: string, data: unknown): void {
    this.#write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  }

  heartbeat(): void {
    this.#write(': hb\n\n');
  }

  onClose(fn: () => void): void {
    if (this.#closed) fn();
    else this.#onClose.push(fn);
  }

  close(): void {
    if (!this.#closed) this.res.end();
    this.#end();
  }

  #write(text: string): void {
    if (this.#closed) return;
    // false: the socket's buffer is full. A client that reads catches up (the buffer drains);
    // one that does not would make the kiosk hold every event for it: past the bound it is dropped.
    if (this.res.write(text) || this.res.writableLength <= this.maxBuffered) return;
    this.res.destroy();
    this.#end();
    this.onOverflow?.(this);
  }

  #end(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const fn of this.#onClose.splice(0)) fn();
  }
}

export interface StreamPoolOptions {
  /** Streams open at once, per kind: each kind has its own slots. */
  caps: Record<StreamKind, number>;
  /** Default MAX_BUFFERED_BYTES. */
  maxBuffered?: number;
  /** A stream dropped because its client does not read (for the log). */
  onOverflow?: (s: SseStream) => void;
}

export class StreamPool {
  readonly #streams = new Set<SseStream>();

  constructor(private readonly o: StreamPoolOptions) {}

  get size(): number {
    return this.#streams.size;
  }

  count(kind: StreamKind): number {
    let n = 0;
    for (const s of this.#streams) if (s.kind === kind) n += 1;
    return n;
  }

  /** Starts an event stream on `res`; 'too-many-streams' when this kind's slots are full (nothing is written then). */
  open(req: IncomingMessage, res: ServerResponse, kind: StreamKind, session?: string): SseStream {
    const cap = this.o.caps[kind];
    if (this.count(kind) >= cap) throw new ScreenError('too-many-streams', `at most ${cap} ${kind} event streams at once`);
    res.writeHead(200, { 'Content-Type': 'text/event-stream; charset=utf-8', Connection: 'keep-alive' });
    // A reconnecting EventSource waits this long; the page's own logic decides what to show meanwhile.
    res.write('retry: 1000\n\n');
    req.socket.setNoDelay(true);
    const stream = new SseStream(kind, res, session, this.o.maxBuffered ?? MAX_BUFFERED_BYTES, this.o.onOverflow);
    this.#streams.add(stream);
    stream.onClose(() => this.#streams.delete(stream));
    return stream;
  }

  /** Sends to every open stream of `kind`. */
  broadcast(kind: StreamKind, event: string, data: unknown): void {
    for (const s of [...this.#streams]) if (s.kind === kind) s.send(event, data);
  }

  streams(): SseStream[] {
    return [...this.#streams];
  }

  closeAll(): void {
    for (const s of [...this.#streams]) s.close();
  }
}

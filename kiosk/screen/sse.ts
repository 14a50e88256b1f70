/**
 * Server-sent events (WHATWG HTML §9.2): a stream per open page, a pool
 * with a cap on how many are open at once (a runaway page, or a local
 * process, cannot hold the kiosk's sockets), and heartbeats (comment
 * lines) that the server's ticker sends on the injected clock.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ScreenError } from './errors.js';

export type StreamKind = 'customer' | 'operator';

export class SseStream {
  #closed = false;
  readonly #onClose: (() => void)[] = [];

  constructor(
    readonly kind: StreamKind,
    private readonly res: ServerResponse,
    /** The operator session behind the stream (checked at each heartbeat). */
    readonly session?: string,
  ) {
    res.on('close', () => this.#end());
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** One event; `data` is JSON on one line (JSON.stringify never writes a raw newline). */
  send(event: string, data: unknown): void {
    if (this.#closed) return;
    this.res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  }

  heartbeat(): void {
    if (!this.#closed) this.res.write(': hb\n\n');
  }

  onClose(fn: () => void): void {
    if (this.#closed) fn();
    else this.#onClose.push(fn);
  }

  close(): void {
    if (!this.#closed) this.res.end();
    this.#end();
  }

  #end(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const fn of this.#onClose.splice(0)) fn();
  }
}

export class StreamPool {
  readonly #streams = new Set<SseStream>();

  constructor(private readonly max: number) {}

  get size(): number {
    return this.#streams.size;
  }

  /** Starts an event stream on `res`; 'too-many-streams' when the pool is full (nothing is written then). */
  open(req: IncomingMessage, res: ServerResponse, kind: StreamKind, session?: string): SseStream {
    if (this.#streams.size >= this.max) throw new ScreenError('too-many-streams', `at most ${this.max} event streams at once`);
    res.writeHead(200, { 'Content-Type': 'text/event-stream; charset=utf-8', Connection: 'keep-alive' });
    // A reconnecting EventSource waits this long; the page's own logic decides what to show meanwhile.
    res.write('retry: 1000\n\n');
    req.socket.setNoDelay(true);
    const stream = new SseStream(kind, res, session);
    this.#streams.add(stream);
    stream.onClose(() => this.#streams.delete(stream));
    return stream;
  }

  /** Sends to every open stream of `kind`. */
  broadcast(kind: StreamKind, event: string, data: unknown): void {
    for (const s of this.#streams) if (s.kind === kind) s.send(event, data);
  }

  streams(): SseStream[] {
    return [...this.#streams];
  }

  closeAll(): void {
    for (const s of [...this.#streams]) s.close();
  }
}

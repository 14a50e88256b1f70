/**
 * Fakes for the screen server's tests: an agent whose request the test
 * settles, a station with a fixed status, the server on 127.0.0.1 with a
 * FakeClock, and a raw HTTP client that sets any header (fetch would not
 * let a test send a foreign Host) and reads SSE as it comes. Not a test file.
 */
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { FakeClock } from '../../../../common/clock.js';
import { memoryLogger } from '../../../../common/log.js';
import type { StationStatus } from '../../../../hardware/station.js';
import type { KioskOutcome } from '../../../../kiosk/agent.js';
import type { ScreenConfigInput } from '../../../../kiosk/screen/config.js';
import { ScreenFeed } from '../../../../kiosk/screen/feed.js';
import { startScreenServer, type ScreenServer } from '../../../../kiosk/screen/server.js';

export const READER = 'sim-reader-1';
export const PIN = '135790';
/** Stands in for a scrypt hash: the injected check compares the PIN with PIN. */
export const PIN_HASH = 'scrypt$10$8$1$c2FsdA==$aGFzaA==';

export class FakeAgent {
  phase = 'ready';
  readonly requests: { application: string; code: string }[] = [];
  #settle: ((o: KioskOutcome) => void) | undefined;
  state(): string {
    return this.phase;
  }
  request(application: string, code: string): Promise<KioskOutcome> {
    this.requests.push({ application, code });
    return new Promise((resolve) => (this.#settle = resolve));
  }
  settle(o: KioskOutcome): void {
    this.#settle?.(o);
  }
}

export interface Setup {
  server: ScreenServer;
  agent: FakeAgent;
  feed: ScreenFeed;
  clock: FakeClock;
  logs: string[];
  origin: string;
  host: string;
}

interface Teardown {
  teardown(fn: () => unknown): void;
}

export async function setup(t: Teardown, o: { config?: ScreenConfigInput; pin?: boolean; station?: () => Promise<StationStatus>; cardSource?: 'hopper' | 'customer' } = {}): Promise<Setup> {
  const clock = new FakeClock(1_700_000_000_000);
  const logger = memoryLogger('test');
  const agent = new FakeAgent();
  const feed = new ScreenFeed({ clock, readerId: READER });
  let n = 0;
  const server = await startScreenServer({
    config: o.config ?? {},
    agent,
    station: { status: o.station ?? (() => Promise.resolve({ hopper: 'ok', hopperRemaining: 12, cardAtStation: false })) },
    feed,
    ...(o.cardSource ? { cardSource: o.cardSource } : {}),
    ...(o.pin !== false ? { operatorPinHash: PIN_HASH, pinCheck: (pin: string) => Promise.resolve(pin === PIN) } : {}),
    clock,
    logger,
    // Distinct tokens, deterministic.
    random: (len) => new Uint8Array(len).fill(++n),
  });
  t.teardown(() => server.close());
  return { server, agent, feed, clock, logs: logger.lines, origin: `http://127.0.0.1:${server.port}`, host: `127.0.0.1:${server.port}` };
}

export interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
  json: Record<string, unknown>;
}

/** One request with exactly these headers (Host defaults to the server's own). */
export function call(s: Setup, method: string, path: string, o: { headers?: Record<string, string>; body?: string } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port: s.server.port, method, path, headers: { Host: s.host, ...o.headers } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => {
        let json: Record<string, unknown> = {};
        try {
          json = JSON.parse(text) as Record<string, unknown>;
        } catch {
          // not JSON
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
      });
    });
    req.on('error', reject);
    req.end(o.body);
  });
}

/**
 * A GET of an event stream that is expected to be refused: the refusal as
 * `call` reads it, or — if a stream opened after all — status 200 at once
 * (the stream closed), so a missing cap fails the test instead of hanging it.
 */
export function streamAttempt(s: Setup, path: string, headers: Record<string, string> = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port: s.server.port, path, headers: { Host: s.host, ...headers } }, (res) => {
      if (/^text\/event-stream/.test(res.headers['content-type'] ?? '')) {
        req.destroy();
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text: '', json: {} });
        return;
      }
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json: JSON.parse(text) as Record<string, unknown> }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** A write as the page sends it. */
export function post(s: Setup, path: string, body: unknown, headers: Record<string, string> = {}): Promise<Reply> {
  return call(s, 'POST', path, { headers: { 'Content-Type': 'application/json', Origin: s.origin, ...headers }, body: JSON.stringify(body) });
}

export interface SseEvent {
  event: string;
  data: unknown;
}

/** An open event stream: its events as they come, comments counted. */
export class SseClient {
  readonly events: SseEvent[] = [];
  comments = 0;
  status = 0;
  ended = false;
  #buf = '';
  #watchers = new Set<() => void>();
  #destroy: () => void = () => undefined;

  static open(s: Setup, path: string, headers: Record<string, string> = {}): Promise<SseClient> {
    const c = new SseClient();
    return new Promise((resolve, reject) => {
      const req = httpRequest({ host: '127.0.0.1', port: s.server.port, path, headers: { Host: s.host, ...headers } }, (res) => {
        c.status = res.statusCode ?? 0;
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => c.#push(chunk));
        res.on('end', () => {
          c.ended = true;
          c.#notify();
        });
        res.on('close', () => {
          c.ended = true;
          c.#notify();
        });
        resolve(c);
      });
      c.#destroy = () => req.destroy();
      req.on('error', reject);
      req.end();
    });
  }

  #push(chunk: string): void {
    this.#buf += chunk;
    let i: number;
    while ((i = this.#buf.indexOf('\n\n')) >= 0) {
      const block = this.#buf.slice(0, i);
      this.#buf = this.#buf.slice(i + 2);
      if (block.startsWith(':')) this.comments += 1;
      const event = /^event: (.*)$/m.exec(block)?.[1];
      const data = /^data: (.*)$/m.exec(block)?.[1];
      if (event !== undefined && data !== undefined) this.events.push({ event, data: JSON.parse(data) });
    }
    this.#notify();
  }

  #notify(): void {
    for (const w of [...this.#watchers]) w();
  }

  /** Resolves when `cond` holds (checked at every chunk); rejects after 5 s naming `what`. */
  until(cond: () => boolean, what: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        if (!cond()) return;
        clearTimeout(timer);
        this.#watchers.delete(check);
        resolve();
      };
      const timer = setTimeout(() => {
        this.#watchers.delete(check);
        reject(new Error(`SSE: timed out waiting for ${what}; got ${JSON.stringify(this.events)}`));
      }, 5000);
      this.#watchers.add(check);
      check();
    });
  }

  of(event: string): unknown[] {
    return this.events.filter((e) => e.event === event).map((e) => e.data);
  }

  close(): void {
    this.#destroy();
  }
}

/** Lets the server's loops and pending I/O run. */
export function turn(): Promise<void> {
  return new Promise((r) => setImmediate(r));
}

/** What `p` rejected with, or undefined when it resolved (so a check on the result fails). */
export async function rejectionOf(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  return undefined;
}

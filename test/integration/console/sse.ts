/**
 * Reads a console SSE stream (GET /api/feed) for tests: the events as they
 * arrive, and a bounded wait for one that matches. Not a test file.
 */
import { request, type ClientRequest } from 'node:http';

export interface SseEvent {
  id?: string;
  event: string;
  data: string;
}

export interface SseStream {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  events: SseEvent[];
  /** Comment lines seen (heartbeats). */
  comments: number;
  waitFor(match: (e: SseEvent) => boolean, what: string, ms?: number): Promise<SseEvent>;
  /** Resolves when the server ends the stream. */
  ended: Promise<void>;
  close(): void;
}

export function openSse(url: string, headers: Record<string, string>): Promise<SseStream> {
  return new Promise((resolve, reject) => {
    let req: ClientRequest | undefined = undefined;
    req = request(new URL('/api/feed', url), { headers: { Accept: 'text/event-stream', ...headers } }, (res) => {
      const events: SseEvent[] = [];
      const waiters = new Set<() => void>();
      let buf = '';
      let comments = 0;
      let endedResolve: () => void = () => undefined;
      const ended = new Promise<void>((r) => (endedResolve = r));
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buf += chunk;
        for (let i = buf.indexOf('\n\n'); i >= 0; i = buf.indexOf('\n\n')) {
          const block = buf.slice(0, i);
          buf = buf.slice(i + 2);
          const e: SseEvent = { event: 'message', data: '' };
          let isComment = true;
          for (const line of block.split('\n')) {
            if (line.startsWith(':')) continue;
            isComment = false;
            const [k, ...v] = line.split(':');
            const value = v.join(':').replace(/^ /, '');
            if (k === 'id') e.id = value;
            else if (k === 'event') e.event = value;
            else if (k === 'data') e.data += value;
          }
          if (isComment) comments += 1;
          else if (e.data !== '') events.push(e);
          for (const w of [...waiters]) w();
        }
      });
      res.on('end', () => endedResolve());
      res.on('close', () => endedResolve());
      const stream: SseStream = {
        status: res.statusCode ?? 0,
        headers: res.headers,
        events,
        get comments() {
          return comments;
        },
        ended,
        close: () => req?.destroy(),
        waitFor: (match, what, ms = 20_000) =>
          new Promise((ok, fail) => {
            const check = (): void => {
              const hit = events.find(match);
              if (!hit) return;
              clearTimeout(timer);
              waiters.delete(check);
              ok(hit);
            };
            const timer = setTimeout(() => {
              waiters.delete(check);
              fail(new Error(`timed out after ${ms} ms waiting for ${what}`));
            }, ms);
            waiters.add(check);
            check();
          }),
      };
      resolve(stream);
    });
    req.on('error', reject);
    req.end();
  });
}

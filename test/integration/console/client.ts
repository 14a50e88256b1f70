/**
 * A small HTTP client for the console's tests, on node:http so that a test
 * can send any Host, Origin, Content-Type or cookie (fetch forbids some).
 * Not a test file.
 */
import { request } from 'node:http';

export interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  /** The body parsed as JSON (undefined when it is not JSON). */
  json: unknown;
}

export interface SendOptions {
  method?: 'GET' | 'POST' | 'PUT' | 'DELETE';
  body?: string;
  headers?: Record<string, string>;
}

export function send(url: string, path: string, o: SendOptions = {}): Promise<Reply> {
  const u = new URL(path, url);
  return new Promise((resolve, reject) => {
    const req = request(u, { method: o.method ?? 'GET', headers: o.headers ?? {} }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json: unknown;
        try {
          json = JSON.parse(text);
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(o.body);
  });
}

/** A signed-in browser: its cookie and CSRF token, and the writes a page sends. */
export class Browserish {
  cookie = '';
  csrf = '';
  readonly origin: string;

  constructor(readonly url: string) {
    this.origin = new URL(url).origin;
  }

  /** Logs in; resolves with the reply (the cookie and CSRF token are kept when it succeeds). */
  async login(username: string, password: string): Promise<Reply> {
    const r = await this.post('/api/login', { username, password }, { csrf: false });
    const set = r.headers['set-cookie']?.[0];
    if (r.status === 200 && set) {
      this.cookie = set.split(';')[0]!;
      this.csrf = (r.json as { csrf: string }).csrf;
    }
    return r;
  }

  get(path: string, headers: Record<string, string> = {}): Promise<Reply> {
    return send(this.url, path, { headers: { ...(this.cookie ? { Cookie: this.cookie } : {}), ...headers } });
  }

  /** A JSON write as the page sends it; `csrf: false` leaves the token out, `headers` override any header. */
  post(path: string, body: unknown, o: { csrf?: boolean; headers?: Record<string, string>; raw?: string } = {}): Promise<Reply> {
    const headers: Record<string, string> = {
      'Content-Type': 'application/json',
      Origin: this.origin,
      ...(this.cookie ? { Cookie: this.cookie } : {}),
      ...(o.csrf !== false && this.csrf ? { 'X-CSRF-Token': this.csrf } : {}),
      ...o.headers,
    };
    return send(this.url, path, { method: 'POST', headers, body: o.raw ?? JSON.stringify(body) });
  }
}

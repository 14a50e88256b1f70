/**
 * Operator sessions, in memory only (a restart logs the operator out): a
 * 32-byte random token in an HttpOnly, SameSite=Strict cookie, ended after
 * `idleMs` without a request (docs/screens.md: 5 minutes). An open event
 * stream is not activity: an operator who walks away is logged out, and
 * the server closes the stream at the next heartbeat.
 */
import type { Clock } from '../../common/clock.js';
import { buildCookie, readCookie } from '../../common/http-guard.js';

export const SESSION_COOKIE = 'cl_op';
const TOKEN = /^[A-Za-z0-9_-]{43}$/;

export class OperatorSessions {
  readonly #seen = new Map<string, number>();

  constructor(
    private readonly clock: Pick<Clock, 'now'>,
    private readonly random: (n: number) => Uint8Array,
    private readonly idleMs: number,
  ) {}

  /** A new session; resolves its token. */
  create(): string {
    this.#sweep();
    const token = Buffer.from(this.random(32)).toString('base64url');
    this.#seen.set(token, this.clock.now());
    return token;
  }

  /** True (and the idle time restarts, unless `touch` is false) when `token` names a live session. */
  check(token: string | undefined, touch = true): boolean {
    if (token === undefined || !TOKEN.test(token)) return false;
    const seen = this.#seen.get(token);
    if (seen === undefined) return false;
    if (this.clock.now() - seen >= this.idleMs) {
      this.#seen.delete(token);
      return false;
    }
    if (touch) this.#seen.set(token, this.clock.now());
    return true;
  }

  end(token: string | undefined): void {
    if (token !== undefined) this.#seen.delete(token);
  }

  get size(): number {
    this.#sweep();
    return this.#seen.size;
  }

  #sweep(): void {
    const now = this.clock.now();
    for (const [token, seen] of this.#seen) if (now - seen >= this.idleMs) this.#seen.delete(token);
  }
}

/** The session token from a Cookie header. */
export function sessionToken(cookieHeader: string | undefined): string | undefined {
  return readCookie(cookieHeader, SESSION_COOKIE);
}

/** Set-Cookie for a session (`end`: the cookie is cleared). No Expires/Max-Age otherwise: a browser session cookie (plain HTTP: not Secure). */
export function sessionCookie(token: string, opts: { end?: boolean } = {}): string {
  return buildCookie(SESSION_COOKIE, token, { clear: opts.end === true });
}

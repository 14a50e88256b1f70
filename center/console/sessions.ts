/**
 * Console sessions (docs/screens.md): the cookie holds 32 random bytes;
 * the store keeps only their SHA-256, so a copy of the database holds no
 * usable cookie, and any center worker can check one. A session ends after
 * IDLE_MS without a request, at ABSOLUTE_MS after login, at logout, or when
 * its account is disabled. Each session has its own CSRF token, which the
 * page keeps in memory and sends in X-CSRF-Token with every write.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Clock } from '../../common/clock.js';
import type { Db } from '../store/db.js';
import type { Role } from './roles.js';

export const IDLE_MS = 15 * 60_000;
export const ABSOLUTE_MS = 8 * 60 * 60_000;
/** Token and CSRF bytes (base64url in the cookie and the header). */
const TOKEN_BYTES = 32;
const TOKEN_PATTERN = /^[A-Za-z0-9_-]{43}$/;

export interface ConsoleSession {
  username: string;
  role: Role;
  csrf: string;
}

export interface SessionDeps {
  db: Db;
  clock: Clock;
  random: (n: number) => Uint8Array;
}

function hashToken(token: string): Uint8Array {
  return createHash('sha256').update(token, 'utf8').digest();
}

export class Sessions {
  constructor(private readonly deps: SessionDeps) {}

  /** Starts a session for `username`; resolves with the cookie token (never stored) and the CSRF token. */
  async create(username: string): Promise<{ token: string; csrf: string }> {
    const token = Buffer.from(this.deps.random(TOKEN_BYTES)).toString('base64url');
    const csrf = Buffer.from(this.deps.random(TOKEN_BYTES)).toString('base64url');
    const now = this.deps.clock.now();
    await this.deps.db.transaction(async (tx) => {
      // Ended sessions are removed as new ones start: the table stays as small as the signed-in crowd.
      await tx.query('DELETE FROM console_sessions WHERE expires_at <= $1 OR last_seen_at <= $2', [new Date(now), new Date(now - IDLE_MS)]);
      await tx.query('INSERT INTO console_sessions (token_hash, username, csrf, created_at, expires_at, last_seen_at) VALUES ($1, $2, $3, $4, $5, $4)', [
        hashToken(token),
        username,
        csrf,
        new Date(now),
        new Date(now + ABSOLUTE_MS),
      ]);
    });
    return { token, csrf };
  }

  /**
   * The live session the cookie token names, its idle time restarted; or
   * undefined (and the row removed) when there is none, it ended, or its
   * account is no longer active. `touch: false` checks without counting
   * as activity (an open feed is not someone at the console).
   */
  async check(token: string | undefined, opts: { touch?: boolean } = {}): Promise<ConsoleSession | undefined> {
    if (token === undefined || !TOKEN_PATTERN.test(token)) return undefined;
    const hash = hashToken(token);
    const r = await this.deps.db.query<{ username: string; csrf: string; expires_at: Date; last_seen_at: Date; role: Role; status: string }>(
      `SELECT s.username, s.csrf, s.expires_at, s.last_seen_at, o.role, o.status
       FROM console_sessions s JOIN operators o ON o.username = s.username WHERE s.token_hash = $1`,
      [hash],
    );
    const row = r.rows[0];
    if (!row) return undefined;
    const now = this.deps.clock.now();
    if (row.expires_at.getTime() <= now || row.last_seen_at.getTime() + IDLE_MS <= now || row.status !== 'active') {
      await this.deps.db.query('DELETE FROM console_sessions WHERE token_hash = $1', [hash]);
      return undefined;
    }
    if (opts.touch !== false) await this.deps.db.query('UPDATE console_sessions SET last_seen_at = $2 WHERE token_hash = $1', [hash, new Date(now)]);
    return { username: row.username, role: row.role, csrf: row.csrf };
  }

  async end(token: string): Promise<void> {
    if (!TOKEN_PATTERN.test(token)) return;
    await this.deps.db.query('DELETE FROM console_sessions WHERE token_hash = $1', [hashToken(token)]);
  }
}

/** Constant-time comparison of the header's CSRF token with the session's. */
export function csrfMatches(given: string | undefined, expected: string): boolean {
  if (given === undefined) return false;
  const a = Buffer.from(given, 'utf8');
  const b = Buffer.from(expected, 'utf8');
  return a.length === b.length && timingSafeEqual(a, b);
}

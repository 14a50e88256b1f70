/**
 * One error type for failed SQL on both back ends. PGlite and node-postgres
 * each throw their own DatabaseError; both carry the SQLSTATE in `code`
 * (PostgreSQL Appendix A), which we keep as `sqlState` so that callers can
 * tell a unique violation (23505) from anything else without knowing the
 * driver.
 */
import { StoreError } from './db.js';

export class QueryError extends StoreError {
  constructor(
    /** SQLSTATE of a server error (e.g. '23505'); undefined for a lost connection or a client-side failure. */
    readonly sqlState: string | undefined,
    message: string,
  ) {
    super('QUERY_FAILED', message);
  }
}

const SQLSTATE_RE = /^[0-9A-Z]{5}$/;

/** Maps a driver error to QueryError; StoreErrors pass through unchanged. */
export function toQueryError(e: unknown): StoreError {
  if (e instanceof StoreError) return e;
  const code = (e as { code?: unknown } | null)?.code;
  const sqlState = typeof code === 'string' && SQLSTATE_RE.test(code) ? code : undefined;
  const message = e instanceof Error ? e.message : String(e);
  return new QueryError(sqlState, sqlState ? `SQLSTATE ${sqlState}: ${message}` : message);
}

/** True for a unique or primary-key violation (SQLSTATE 23505). */
export function isUniqueViolation(e: unknown): boolean {
  return e instanceof QueryError && e.sqlState === '23505';
}

/**
 * PostgreSQL connection URLs at the boundary: only postgres:// and
 * postgresql:// are accepted, and what we show of a URL (in errors and
 * logs) never includes its password or its query string (which may carry
 * `password=` or `sslkey=`).
 */
import { StoreError } from './db.js';

export interface PostgresTarget {
  /** The URL as given, for the driver only. */
  url: string;
  /** scheme://user@host:port/database, password and query removed: safe to print. */
  display: string;
  /** Removes the password from a driver message, should one echo it. */
  scrub(text: string): string;
}

const MAX_URL_LENGTH = 2048;

/** Validates a PostgreSQL URL; StoreError OPEN_FAILED (never echoing the URL) when it is not one. */
export function parsePostgresUrl(url: string): PostgresTarget {
  if (typeof url !== 'string' || url.trim() === '') throw new StoreError('OPEN_FAILED', 'the database URL is empty');
  if (url.length > MAX_URL_LENGTH) throw new StoreError('OPEN_FAILED', `the database URL is longer than ${MAX_URL_LENGTH} characters`);
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new StoreError('OPEN_FAILED', 'the database URL is not a valid URL (expected postgres://user@host:port/database)');
  }
  if (parsed.protocol !== 'postgres:' && parsed.protocol !== 'postgresql:') {
    throw new StoreError('OPEN_FAILED', 'the database URL must start with postgres:// or postgresql://');
  }
  const user = parsed.username ? `${parsed.username}${parsed.password ? ':***' : ''}@` : '';
  const display = `${parsed.protocol}//${user}${parsed.host}${parsed.pathname}`;
  const secrets = [parsed.password, safeDecode(parsed.password)].filter((s) => s.length > 0);
  const scrub = (text: string): string => secrets.reduce((acc, s) => acc.split(s).join('***'), text);
  return { url, display, scrub };
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

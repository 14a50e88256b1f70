/**
 * The console's side of the common HTTP rules (common/http-guard.ts does
 * the checks, headers, body reading and cookie syntax): its session
 * cookie, a write's body parsed as JSON (`bad-request` otherwise), and
 * `sendError`, the one place a ConsoleError becomes an answer.
 */
import type { ServerResponse } from 'node:http';
import { buildCookie, sendJsonError } from '../../common/http-guard.js';
import { ConsoleError } from './errors.js';

export const SESSION_COOKIE = 'cl_session';

/** Set-Cookie for a session token ('' clears it); Secure under TLS. */
export function sessionCookie(token: string, tls: boolean): string {
  return buildCookie(SESSION_COOKIE, token, { secure: tls, clear: token === '' });
}

/** A write's body (already bounded; the server zeroes its bytes after the handler) as JSON. */
export function parseJson(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    throw new ConsoleError('bad-request', 'the body is not JSON');
  }
}

export function sendError(res: ServerResponse, e: ConsoleError): void {
  sendJsonError(res, e.status, e.code, e.message, e.code === 'method-not-allowed' ? { Allow: 'GET, POST' } : {});
}

/**
 * The kiosk's side of the common HTTP rules (common/http-guard.ts does the
 * checks, headers and body reading): the Host values the screen answers
 * to, a write's body as a JSON object (`bad-json` otherwise; its bytes
 * overwritten once parsed), and `sendError`, the one place a refusal
 * becomes a status and a JSON body.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { readBody, sendJsonError } from '../../common/http-guard.js';
import { ScreenError, statusOf, type ScreenErrorCode } from './errors.js';

/** The Host values that name this server: `127.0.0.1:<port>` and `localhost:<port>`. */
export function allowedHosts(port: number): ReadonlySet<string> {
  return new Set([`127.0.0.1:${port}`, `localhost:${port}`]);
}

/** Reads the body up to `limit` bytes (HttpGuardError too-large beyond) and parses it as a JSON object. */
export async function readJson(req: IncomingMessage, limit: number): Promise<Record<string, unknown>> {
  const raw = await readBody(req, limit);
  try {
    const value: unknown = JSON.parse(raw.toString('utf8'));
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new ScreenError('bad-json', 'the body must be a JSON object');
    return value as Record<string, unknown>;
  } catch (e) {
    if (e instanceof ScreenError) throw e;
    throw new ScreenError('bad-json', 'the body is not JSON');
  } finally {
    // Bodies hold one-time codes and PINs: the bytes we own are overwritten (the parsed strings cannot be).
    raw.fill(0);
  }
}

/** The one place a refusal becomes an HTTP answer: `{ error, message }` with its status (and Retry-After when locked). */
export function sendError(res: ServerResponse, code: ScreenErrorCode, message: string, retryAfterS?: number): void {
  sendJsonError(res, statusOf(code), code, message, retryAfterS !== undefined ? { 'Retry-After': String(retryAfterS) } : {});
}

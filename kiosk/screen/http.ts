/**
 * The common HTTP rules of both screens (docs/screens.md "Common rules"),
 * for the kiosk's server: strict headers on every response, the Host check
 * against DNS rebinding, and the checks every write passes before its body
 * is even read (JSON content type, same Origin, a size limit). Refusals are
 * ScreenErrors; `sendError` is the one place they become a status and a
 * JSON body.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ScreenError, statusOf, type ScreenErrorCode } from './errors.js';

export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'Content-Security-Policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'Cache-Control': 'no-store',
  'Cross-Origin-Opener-Policy': 'same-origin',
};

export function setSecurityHeaders(res: ServerResponse): void {
  for (const [k, v] of Object.entries(SECURITY_HEADERS)) res.setHeader(k, v);
}

/** The Host values that name this server: `127.0.0.1:<port>` and `localhost:<port>`. */
export function allowedHosts(port: number): ReadonlySet<string> {
  return new Set([`127.0.0.1:${port}`, `localhost:${port}`]);
}

/** DNS rebinding: a page of another site resolved to 127.0.0.1 sends its own name as Host. */
export function checkHost(req: IncomingMessage, allowed: ReadonlySet<string>): void {
  const host = req.headers.host?.toLowerCase();
  if (host === undefined || !allowed.has(host)) throw new ScreenError('host-refused', 'this server answers to its own address only');
}

/**
 * A write must be JSON (a cross-site form cannot send that without a
 * preflight we never answer) from our own origin. `origins` are the
 * origins of the allowed hosts (`http://127.0.0.1:<port>`, …).
 */
export function checkWrite(req: IncomingMessage, origins: ReadonlySet<string>): void {
  const type = req.headers['content-type']?.split(';')[0]?.trim().toLowerCase();
  if (type !== 'application/json') throw new ScreenError('unsupported-media-type', 'a write must be application/json');
  const origin = req.headers.origin;
  if (origin === undefined || !origins.has(origin.toLowerCase())) throw new ScreenError('origin', 'a write must come from this page');
}

/** Reads the body up to `limit` bytes (Content-Length checked first, then the bytes as they come) and parses it as a JSON object. */
export async function readJson(req: IncomingMessage, limit: number): Promise<Record<string, unknown>> {
  const declared = Number(req.headers['content-length'] ?? '0');
  if (Number.isFinite(declared) && declared > limit) throw new ScreenError('too-large', `the body is limited to ${limit} bytes`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) {
      wipe(chunks);
      throw new ScreenError('too-large', `the body is limited to ${limit} bytes`);
    }
    chunks.push(chunk);
  }
  const raw = Buffer.concat(chunks);
  wipe(chunks);
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

function wipe(chunks: Buffer[]): void {
  for (const c of chunks) c.fill(0);
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string | string[]> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { ...headers, 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

/** The one place a refusal becomes an HTTP answer: `{ error, message }` with its status (and Retry-After when locked). */
export function sendError(res: ServerResponse, code: ScreenErrorCode, message: string, retryAfterS?: number): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  sendJson(res, statusOf(code), { error: code, message }, retryAfterS !== undefined ? { 'Retry-After': String(retryAfterS) } : {});
}

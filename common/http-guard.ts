/**
 * The common HTTP rules of both screens (docs/screens.md "Common rules"),
 * shared by the kiosk's screen server (kiosk/screen/) and the center
 * console (center/console/): the strict headers every response carries,
 * the Host check against DNS rebinding, the checks a write passes before
 * its body is read (JSON content type, an allowed Origin), the bounded body
 * read, JSON answers and the session cookie's syntax.
 *
 * A refusal is an `HttpGuardError` with its code and HTTP status; each
 * room's server turns it into its own error answer (the codes are the same
 * in both rooms' tables). Node built-ins only; no state at module level.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

/** The refusals of this module, with their HTTP status. */
export const HTTP_GUARD_STATUS = {
  /** The Host header names another server (DNS rebinding). */
  'host-refused': 421,
  /** A write that is not `application/json` (optionally `; charset=utf-8`). */
  'unsupported-media-type': 415,
  /** A write whose Origin is missing or not one of the server's own. */
  origin: 403,
  /** A body beyond the route's limit (declared or as it comes). */
  'too-large': 413,
} as const;

export type HttpGuardCode = keyof typeof HTTP_GUARD_STATUS;

/** A refusal by the common rules: its code, and the HTTP status the code has in HTTP_GUARD_STATUS. */
export class HttpGuardError extends Error {
  override readonly name = 'HttpGuardError';
  constructor(
    readonly code: HttpGuardCode,
    message: string,
  ) {
    super(message);
  }

  get status(): number {
    return HTTP_GUARD_STATUS[this.code];
  }
}

export function isHttpGuardError(e: unknown, code?: HttpGuardCode): e is HttpGuardError {
  return e instanceof HttpGuardError && (code === undefined || e.code === code);
}

export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'Content-Security-Policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'Cache-Control': 'no-store',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
  'X-Frame-Options': 'DENY',
};

/** Sent besides SECURITY_HEADERS when the server speaks TLS (never over plain HTTP, where it means nothing). */
export const HSTS = 'max-age=31536000';

export function setSecurityHeaders(res: ServerResponse, opts: { tls: boolean }): void {
  for (const [k, v] of Object.entries(SECURITY_HEADERS)) res.setHeader(k, v);
  if (opts.tls) res.setHeader('Strict-Transport-Security', HSTS);
}

/** Resolves with the (lower-case) Host when it is one of the server's own names; 421 host-refused otherwise. */
export function checkHost(req: IncomingMessage, allowed: ReadonlySet<string>): string {
  const host = req.headers.host?.toLowerCase();
  if (host === undefined || !allowed.has(host)) throw new HttpGuardError('host-refused', 'this server answers to its own names only');
  return host;
}

/** The origins of the allowed Host values (`http://127.0.0.1:8080`, …), for `checkWrite`. */
export function originsOf(scheme: 'http' | 'https', hosts: Iterable<string>): ReadonlySet<string> {
  return new Set([...hosts].map((h) => `${scheme}://${h}`.toLowerCase()));
}

const JSON_TYPE = /^application\/json[ \t]*(;[ \t]*charset=utf-8[ \t]*)?$/i;

/** True for `application/json`, optionally with `; charset=utf-8` (case aside): nothing else. */
export function isJsonContentType(type: string | undefined): boolean {
  return type !== undefined && JSON_TYPE.test(type);
}

/**
 * A write's preconditions, before its body is read: JSON (a cross-site
 * form cannot send that without a preflight no route answers), from one of
 * the server's own origins (`originsOf` its allowed hosts).
 */
export function checkWrite(req: IncomingMessage, origins: ReadonlySet<string>): void {
  if (!isJsonContentType(req.headers['content-type'])) throw new HttpGuardError('unsupported-media-type', 'a write must be application/json');
  const origin = req.headers.origin;
  if (origin === undefined || !origins.has(origin.toLowerCase())) throw new HttpGuardError('origin', 'a write must come from this server');
}

/**
 * The request's body, refused beyond `limit` bytes (413 too-large; by
 * Content-Length before anything is read, then by the bytes as they come,
 * without reading the rest). The chunks read are overwritten before this
 * returns or throws; the Buffer returned is the caller's to zero once
 * parsed (bodies hold one-time codes, PINs and passwords).
 */
export async function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? NaN);
  if (Number.isFinite(declared) && declared > limit) throw tooLarge(limit);
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of req as AsyncIterable<Buffer>) {
      size += chunk.length;
      chunks.push(chunk);
      if (size > limit) throw tooLarge(limit);
    }
    return Buffer.concat(chunks, size);
  } finally {
    for (const c of chunks) c.fill(0);
  }
}

function tooLarge(limit: number): HttpGuardError {
  return new HttpGuardError('too-large', `the body is limited to ${limit} bytes`);
}

/** A JSON answer. `headers` may add (Set-Cookie, Retry-After, Allow …) but not change the type or length. */
export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Readonly<Record<string, string | string[]>> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { ...headers, 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

/** A refusal's answer, `{ error, message }`; a response already started (a stream) is cut instead. */
export function sendJsonError(res: ServerResponse, status: number, code: string, message: string, headers: Readonly<Record<string, string>> = {}): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  sendJson(res, status, { error: code, message }, headers);
}

/** The value of cookie `name` in a Cookie header (the first one of that name), or undefined. */
export function readCookie(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/**
 * Set-Cookie for a session cookie: HttpOnly, SameSite=Strict, Path=/, no
 * Expires or Max-Age (it ends with the browser); `clear`: empty, Max-Age=0;
 * `secure` (under TLS): Secure.
 */
export function buildCookie(name: string, value: string, opts: { secure?: boolean; clear?: boolean } = {}): string {
  const clear = opts.clear === true;
  return `${name}=${clear ? '' : value}; HttpOnly; SameSite=Strict; Path=/${clear ? '; Max-Age=0' : ''}${opts.secure === true ? '; Secure' : ''}`;
}

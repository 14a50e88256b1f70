/**
 * The console's HTTP plumbing on node:http (docs/screens.md "Common
 * rules"): the strict headers every response carries, JSON answers and
 * errors, bounded body reading, the cookie, and the Host and Origin checks.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ConsoleError } from './errors.js';

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

export const SESSION_COOKIE = 'cl_session';

export function setSecurityHeaders(res: ServerResponse, tls: boolean): void {
  for (const [k, v] of Object.entries(SECURITY_HEADERS)) res.setHeader(k, v);
  if (tls) res.setHeader('Strict-Transport-Security', 'max-age=31536000');
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string | string[]> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

export function sendError(res: ServerResponse, e: ConsoleError): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  sendJson(res, e.status, { error: e.code, message: e.message }, e.code === 'method-not-allowed' ? { Allow: 'GET, POST' } : {});
}

/** The request's body as text, refused beyond `limit` bytes (413) without reading the rest. */
export async function readBody(req: IncomingMessage, limit: number): Promise<string> {
  const declared = Number(req.headers['content-length'] ?? NaN);
  if (Number.isFinite(declared) && declared > limit) throw new ConsoleError('too-large', `the body is limited to ${limit} bytes`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new ConsoleError('too-large', `the body is limited to ${limit} bytes`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new ConsoleError('bad-request', 'the body is not JSON');
  }
}

export function cookie(req: IncomingMessage, name: string): string | undefined {
  const header = req.headers.cookie;
  if (header === undefined) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/** HttpOnly, SameSite=Strict, Path=/ session cookie (no Max-Age: it ends with the browser), Secure under TLS. */
export function sessionCookie(token: string, tls: boolean): string {
  return `${SESSION_COOKIE}=${token}; HttpOnly; SameSite=Strict; Path=/${tls ? '; Secure' : ''}`;
}

export function clearedCookie(tls: boolean): string {
  return `${SESSION_COOKIE}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0${tls ? '; Secure' : ''}`;
}

/** 421 unless the Host header is one of the server's own names (DNS rebinding: another name resolving to us). */
export function checkHost(req: IncomingMessage, allowed: ReadonlySet<string>): string {
  const host = req.headers.host?.toLowerCase();
  if (host === undefined || !allowed.has(host)) throw new ConsoleError('host-refused', 'this server does not answer to that host name');
  return host;
}

/**
 * A write's preconditions before its body is read: JSON, and an Origin
 * equal to the server's own (the scheme and the Host already checked).
 */
export function checkWrite(req: IncomingMessage, origin: string): void {
  const type = req.headers['content-type'];
  if (type === undefined || !/^application\/json\s*(;\s*charset=utf-8\s*)?$/i.test(type)) {
    throw new ConsoleError('unsupported-media-type', 'writes must be application/json');
  }
  if (req.headers.origin !== origin) throw new ConsoleError('origin', 'the request does not come from this console');
}

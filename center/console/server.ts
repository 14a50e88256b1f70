/**
 * The center console's server (docs/screens.md "The center console"):
 * node:http (node:https with a certificate), no framework. It serves the
 * front end's static files and the JSON API (api.ts), and applies the
 * common rules (common/http-guard.ts) to every request in one place, in
 * this order:
 *
 *   Host (421) → route (404/405) → for a write: JSON type (415), Origin
 *   (403 origin) → session (401) → CSRF token (403 csrf) → role
 *   (403 forbidden) → body size (413) → the handler.
 *
 * Every refusal is answered `{ error, message }` and logged with its code,
 * method and path — never a body, a cookie, a token or a password.
 * Loopback only unless TLS is given (a password must not cross a network in
 * clear).
 */
import { createServer as createHttp, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttps } from 'node:https';
import type { AddressInfo } from 'node:net';
import { checkHost, checkWrite, originsOf, readBody, readCookie, sendJson, setSecurityHeaders } from '../../common/http-guard.js';
import { CenterError } from '../errors.js';
import { apiRoutes, type ApiContext, type Route } from './api.js';
import { AuditView } from './audit-view.js';
import type { ConsoleDeps } from './deps.js';
import { Feed, DEFAULT_FEED_LIMITS, type FeedLimits } from './feed.js';
import { ConsoleError } from './errors.js';
import { toConsoleError } from './error-map.js';
import { sendError, sessionCookie, SESSION_COOKIE } from './http.js';
import { Accounts } from './operators.js';
import { allows } from './roles.js';
import { csrfMatches, Sessions } from './sessions.js';
import { staticFile, STATIC_DIR } from './static-files.js';

export interface ConsoleOptions {
  deps: ConsoleDeps;
  /** Default 127.0.0.1. Anything but loopback needs `tls`. */
  host?: string;
  /** 0 picks a free port. */
  port: number;
  /** PEM certificate chain and key: the console is served over HTTPS and its cookie is Secure. */
  tls?: { cert: string | Buffer; key: string | Buffer };
  /** A further name the Host header may carry (the name operators type, e.g. console.example.org). */
  publicName?: string;
  /** Default center/console/static/ beside this file. */
  staticDir?: string;
  feed?: Partial<FeedLimits>;
  /** Logins checked at once (default 8). */
  maxLogins?: number;
  /** How long an audit verification is reused (default VERIFY_TTL_MS, 10 s). */
  auditVerifyTtlMs?: number;
}

export interface RunningConsole {
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127(\.\d{1,3}){3}$/.test(host);
}

export async function startConsole(opts: ConsoleOptions): Promise<RunningConsole> {
  const host = opts.host ?? '127.0.0.1';
  const tls = opts.tls !== undefined;
  if (!isLoopback(host) && !tls) throw new CenterError('CONFIG_INVALID', `the console listens on ${host}, not loopback: give it a certificate and key (HTTPS)`);
  const { deps } = opts;
  const log = deps.logger.child('console');
  const sessions = new Sessions(deps);
  const feed = new Feed(deps, { ...DEFAULT_FEED_LIMITS, ...opts.feed });
  const routes = apiRoutes({
    deps,
    accounts: new Accounts({ ...deps, logger: log }),
    sessions,
    auditView: new AuditView(deps.db, deps.centerPublicKey, deps.clock, opts.auditVerifyTtlMs),
    feed,
    cookieFor: (token) => sessionCookie(token, tls),
    maxLogins: opts.maxLogins ?? 8,
  });
  const staticDir = opts.staticDir ?? STATIC_DIR;
  const scheme = tls ? 'https' : 'http';
  let allowed: ReadonlySet<string> = new Set();
  let origins: ReadonlySet<string> = new Set();

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    setSecurityHeaders(res, { tls });
    const hostName = checkHost(req, allowed);
    const url = new URL(req.url ?? '/', `${scheme}://${hostName}`);
    if (!url.pathname.startsWith('/api/')) {
      if (req.method !== 'GET' && req.method !== 'HEAD') throw new ConsoleError('method-not-allowed', 'pages are read with GET');
      const f = await staticFile(staticDir, url.pathname);
      res.writeHead(200, { 'Content-Type': f.type, 'Content-Length': f.body.length });
      res.end(req.method === 'HEAD' ? undefined : f.body);
      return;
    }
    const matches = routes.filter((r) => r.pattern.test(url.pathname));
    const route = matches.find((r) => r.method === req.method);
    if (!route) throw matches.length > 0 ? new ConsoleError('method-not-allowed', `use ${matches.map((m) => m.method).join(' or ')}`) : new ConsoleError('not-found', 'no such API route');
    const ctx = await admit(route, req, res, url);
    try {
      const answer = await route.handle(ctx);
      if (answer) sendJson(res, answer.status ?? 200, answer.body, answer.headers);
    } finally {
      // Bodies hold passwords and application codes: the bytes we own are overwritten (the parsed strings cannot be).
      ctx.body.fill(0);
    }
  };

  /** The checks of the route's table entry; resolves with the handler's context. */
  const admit = async (route: Route, req: IncomingMessage, res: ServerResponse, url: URL): Promise<ApiContext> => {
    if (route.method === 'POST') checkWrite(req, origins);
    let session: ApiContext['session'] = { username: '', role: 'viewer', csrf: '' };
    const token = readCookie(req.headers.cookie, SESSION_COOKIE) ?? '';
    if (route.role !== undefined) {
      const s = await sessions.check(token);
      if (!s) throw new ConsoleError('unauthenticated', 'sign in first (the session has ended)');
      if (route.method === 'POST' && !csrfMatches(header(req, 'x-csrf-token'), s.csrf)) throw new ConsoleError('csrf', 'the CSRF token is missing or wrong');
      if (!allows(s.role, route.role)) throw new ConsoleError('forbidden', `this needs the ${route.role} role`);
      session = s;
    }
    const body = route.method === 'POST' ? await readBody(req, route.bodyLimit ?? 1024) : Buffer.alloc(0);
    try {
      return { req, res, url, params: route.pattern.exec(url.pathname)!.slice(1).map(decodeParam), session, token, body };
    } catch (e) {
      body.fill(0);
      throw e;
    }
  };

  const server: Server = tls ? createHttps({ cert: opts.tls!.cert, key: opts.tls!.key, minVersion: 'TLSv1.2' }) : createHttp();
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    handle(req, res).catch((e: unknown) => {
      const err = toConsoleError(e);
      const path = (req.url ?? '').split('?')[0]!.slice(0, 200);
      if (err.code === 'internal') log.error('request failed', { method: req.method, path, code: err.code, error: e });
      else log.warn('request refused', { method: req.method, path, code: err.code, status: err.status });
      sendError(res, err);
    });
  });
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  allowed = allowedHosts(host, port, tls, opts.publicName);
  origins = originsOf(scheme, allowed);
  const url = `${scheme}://${host.includes(':') ? `[${host}]` : host}:${port}/`;
  log.info('console listening', { url });
  return {
    url,
    port,
    async close() {
      feed.closeAll();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      log.info('console stopped');
    },
  };
}

/** A path parameter decoded; a malformed % escape (URIError) is the client's mistake: 400, not 500. */
function decodeParam(p: string): string {
  try {
    return decodeURIComponent(p);
  } catch {
    throw new ConsoleError('bad-request', 'the path has a malformed % escape');
  }
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return typeof v === 'string' ? v : undefined;
}

/** The Host values the console answers to: its own address and port, loopback's names, and the public name. */
export function allowedHosts(host: string, port: number, tls: boolean, publicName?: string): Set<string> {
  const withPort = (h: string): string => `${h.includes(':') ? `[${h}]` : h}:${port}`.toLowerCase();
  const names = [host];
  if (isLoopback(host)) names.push('127.0.0.1', 'localhost', '::1');
  if (publicName !== undefined) names.push(publicName);
  const out = new Set(names.map(withPort));
  // A browser leaves the scheme's default port out of Host.
  if (port === (tls ? 443 : 80)) for (const n of names) out.add(n.includes(':') ? `[${n}]` : n.toLowerCase());
  return out;
}

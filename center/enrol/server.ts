/**
 * The enrolment endpoint (docs/provisioning.md §2): `POST /v1/enrol` over
 * node:https (TLS 1.2+), nothing else. Its callers are kiosks, not
 * browsers: no Origin, cookie or CSRF rules, but the common ones of
 * common/http-guard.ts that apply (strict headers, JSON type, bounded
 * body). Every request passes, in this order:
 *
 *   rate limit per source address (429) → route (404/405) → JSON type
 *   (415) → body ≤ 16 KiB (413) → schema (400 body-invalid) → the
 *   enrolment (handler.ts: 400 proof-invalid / csr-invalid, 401
 *   token-refused, 409 kiosk-exists) → 201.
 *
 * Every refusal is answered `{ error, message }`, audited `enrol.refused`
 * (code, the precise reason, source address) and logged with its code —
 * never the body, the token or a key. A rate-limited source is audited once
 * per window, so a flood cannot grow the audit log. Loopback unless a host
 * is given.
 */
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { isHttpGuardError, isJsonContentType, readBody, sendJson, sendJsonError, setSecurityHeaders } from '../../common/http-guard.js';
import { ID_PATTERN } from '../../wire/messages.js';
import { RateLimiter } from '../rate-limit.js';
import { EnrolError } from './errors.js';
import { enrol, type EnrolDeps } from './handler.js';
import { parseEnrolRequest } from './request.js';

export const ENROL_PATH = '/v1/enrol';
export const ENROL_BODY_LIMIT = 16 * 1024;

export interface EnrolServerOptions extends EnrolDeps {
  /** Default 127.0.0.1. */
  host?: string;
  /** 0 picks a free port. */
  port: number;
  /** PEM certificate chain and key of the server (by default the broker's). */
  tls: { cert: string | Buffer; key: string | Buffer };
  /** Requests per source address per minute (default 10). */
  requestsPerMinute?: number;
}

export interface RunningEnrolServer {
  readonly port: number;
  readonly url: string;
  close(): Promise<void>;
}

export async function startEnrolServer(opts: EnrolServerOptions): Promise<RunningEnrolServer> {
  const host = opts.host ?? '127.0.0.1';
  const log = opts.logger.child('enrol');
  const deps: EnrolDeps = { ...opts, logger: log };
  const windowMs = 60_000;
  const limiter = new RateLimiter(opts.clock, { limit: opts.requestsPerMinute ?? 10, windowMs });
  // One audit entry per source and window for rate-limited requests.
  const limitedAudit = new RateLimiter(opts.clock, { limit: 1, windowMs });

  const handle = async (req: IncomingMessage, res: ServerResponse, source: string, seen: { kiosk?: string }): Promise<void> => {
    setSecurityHeaders(res, { tls: true });
    if (!limiter.take(source)) throw new EnrolError('rate-limited', 'too many enrolment requests from this address: retry later');
    const path = (req.url ?? '').split('?')[0];
    if (path !== ENROL_PATH) throw new EnrolError('not-found', `the only route is POST ${ENROL_PATH}`);
    if (req.method !== 'POST') throw new EnrolError('method-not-allowed', 'use POST');
    if (!isJsonContentType(req.headers['content-type'])) throw new EnrolError('unsupported-media-type', 'the request must be application/json');
    const body = await readBody(req, ENROL_BODY_LIMIT);
    let request;
    try {
      // The kiosk ID is kept for the refusal's audit entry when the body names a well-formed one.
      request = parseEnrolRequest(body);
    } finally {
      body.fill(0);
    }
    seen.kiosk = request.kiosk;
    const out = await enrol(deps, request, source);
    sendJson(res, 201, out.answer);
  };

  const refuse = async (req: IncomingMessage, res: ServerResponse, e: unknown, source: string, kiosk: string | undefined): Promise<void> => {
    const err = asEnrolError(e);
    const path = (req.url ?? '').split('?')[0]!.slice(0, 100);
    if (err.code === 'internal') log.error('enrolment failed', { method: req.method, path, source, ...(kiosk ? { kiosk } : {}), error: e });
    else log.warn('enrolment refused', { method: req.method, path, source, code: err.code, status: err.status, ...(kiosk ? { kiosk } : {}), ...(err.reason ? { reason: err.reason } : {}) });
    const headers: Record<string, string> = err.code === 'method-not-allowed' ? { Allow: 'POST' } : {};
    // The rest of a refused body is not read: the connection ends with the answer.
    if (err.code === 'too-large' || err.code === 'unsupported-media-type') headers.Connection = 'close';
    sendJsonError(res, err.status, err.code, err.message, headers);
    if (err.code === 'rate-limited' && !limitedAudit.take(source)) return;
    await opts.db
      .transaction((tx) => opts.audit.append(tx, { kind: 'enrol.refused', ...(kiosk && ID_PATTERN.test(kiosk) ? { kiosk } : {}), detail: { code: err.code, reason: err.reason ?? err.code, source } }))
      .catch((ae: unknown) => log.error('audit of an enrolment refusal failed', { error: ae }));
  };

  const server: Server = createServer({ cert: opts.tls.cert, key: opts.tls.key, minVersion: 'TLSv1.2' });
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const source = req.socket.remoteAddress ?? 'unknown';
    const seen: { kiosk?: string } = {};
    void handle(req, res, source, seen)
      .catch((e: unknown) => refuse(req, res, e, source, seen.kiosk))
      .catch((e: unknown) => log.error('answering a refusal failed', { error: e }));
  });
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
  server.maxConnections = 64;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const url = `https://${host.includes(':') ? `[${host}]` : host}:${port}`;
  log.info('enrolment endpoint listening', { url });
  return {
    port,
    url,
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      log.info('enrolment endpoint stopped');
    },
  };
}

/** Every failure as an EnrolError: the guard's refusals by their code, anything unexpected as internal. */
function asEnrolError(e: unknown): EnrolError {
  if (e instanceof EnrolError) return e;
  if (isHttpGuardError(e, 'too-large')) return new EnrolError('too-large', e.message);
  if (isHttpGuardError(e, 'unsupported-media-type')) return new EnrolError('unsupported-media-type', e.message);
  return new EnrolError('internal', 'the enrolment failed at the center: retry later');
}

/**
 * The kiosk's screen server (docs/screens.md "The kiosk UI"): node:http on
 * 127.0.0.1 only, serving the customer page (`/`), the operator page
 * (`/operator`), their static files and the JSON/SSE API. Every request
 * passes the common rules first (common/http-guard.ts: headers, Host;
 * writes: JSON, Origin, size); every refusal is answered and logged here,
 * with its code only — never a body, PIN or code.
 *
 * Two loops on the injected clock: the ticker (SSE heartbeats, operator
 * sessions that expired lose their stream, a fresh status for operators)
 * and the phase poll (`state` to customers when it changes). The operator's
 * status follows the events too, but not the script's `writing` ones (one
 * per APDU): the station is asked at most once a second (status.ts).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Clock } from '../../common/clock.js';
import { checkHost, checkWrite, isHttpGuardError, originsOf, setSecurityHeaders } from '../../common/http-guard.js';
import type { Logger } from '../../common/log.js';
import type { CardStation } from '../../hardware/station.js';
import type { KioskAgent } from '../agent.js';
import { decodeScreenConfig, type ScreenConfig, type ScreenConfigInput } from './config.js';
import { CustomerApi, customerState } from './customer-api.js';
import { isScreenError, ScreenError } from './errors.js';
import type { ScreenFeed } from './feed.js';
import { allowedHosts, sendError } from './http.js';
import { OperatorApi } from './operator-api.js';
import { PinGate } from './operator-pin.js';
import { OperatorSessions } from './sessions.js';
import { StreamPool } from './sse.js';
import { loadStatic, STATIC_DIR } from './static-files.js';
import { OperatorStatusSource } from './status.js';

export type CardSource = 'hopper' | 'customer';

/** A plain PC/SC reader has no hopper: the customer inserts the card (hardware/station.ts). */
export function cardSourceOf(station: Pick<CardStation, 'identity'>): CardSource {
  return station.identity.kind === 'pcsc' ? 'customer' : 'hopper';
}

export interface ScreenServerOptions {
  config: ScreenConfigInput;
  agent: Pick<KioskAgent, 'request' | 'state'>;
  station: Pick<CardStation, 'status'>;
  /** The agent's events, keys and exchanges (its `events` sink and `onExchange` must feed it). */
  feed: ScreenFeed;
  /** The operator PIN's scrypt hash (operator-pin.ts loadOperatorPin); absent: no operator view. */
  operatorPinHash?: string;
  /** A HID keypad sends keys to the page (through `feed.key`). */
  keypad?: boolean;
  /**
   * Where the card comes from: the station's hopper (a dispenser, the
   * default), or the customer, who inserts it into a plain reader (PC/SC):
   * the page then asks for it at insert-card (`cardSourceOf`).
   */
  cardSource?: CardSource;
  clock: Clock;
  logger: Logger;
  random: (n: number) => Uint8Array;
  staticDir?: string;
  /** Test seam: a cheaper PIN check than scrypt. */
  pinCheck?: (pin: string, hash: string) => Promise<boolean>;
}

export interface ScreenServer {
  /** `http://127.0.0.1:PORT/` */
  readonly url: string;
  readonly port: number;
  readonly config: ScreenConfig;
  close(): Promise<void>;
}

type Handler = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;

export async function startScreenServer(opts: ScreenServerOptions): Promise<ScreenServer> {
  const config = decodeScreenConfig(opts.config);
  const log = opts.logger.child('screen');
  const files = await loadStatic(opts.staticDir ?? STATIC_DIR);
  const pool = new StreamPool({
    caps: { customer: config.maxCustomerStreams, operator: config.maxOperatorStreams },
    onOverflow: (s) => log.warn('event stream dropped: the client does not read', { kind: s.kind }),
  });
  const sessions = new OperatorSessions(opts.clock, opts.random, config.sessionIdleMs);
  const statusSource = new OperatorStatusSource({ agent: opts.agent, station: opts.station, feed: opts.feed, clock: opts.clock });
  const status = () => statusSource.get();
  const customer = new CustomerApi({
    agent: opts.agent,
    feed: opts.feed,
    pool,
    logger: log,
    bodyLimit: config.bodyLimit,
    settings: { idleMs: config.idleMs, resultMs: config.resultMs, keypad: opts.keypad === true, cardSource: opts.cardSource ?? 'hopper' },
  });
  const gate = opts.operatorPinHash === undefined ? undefined : new PinGate({ hash: opts.operatorPinHash, clock: opts.clock, maxFailures: config.maxPinFailures, lockMs: config.lockMs, ...(opts.pinCheck ? { check: opts.pinCheck } : {}) });
  const operator = new OperatorApi({ gate, sessions, feed: opts.feed, pool, status, logger: log, bodyLimit: config.bodyLimit });

  const page = (name: string): Handler => (_req, res) => {
    const f = files.get(name);
    if (!f) throw new ScreenError('not-found', 'no such page');
    res.writeHead(200, { 'Content-Type': f.type, 'Content-Length': f.body.length });
    res.end(f.body);
  };
  const routes: Record<string, Handler> = {
    'GET /': page('index.html'),
    'GET /operator': page('operator.html'),
    'GET /api/config': (q, s) => customer.settings(q, s),
    'GET /api/events': (q, s) => customer.events(q, s),
    'POST /api/request': (q, s) => customer.request(q, s),
    'POST /api/operator/login': (q, s) => operator.login(q, s),
    'POST /api/operator/logout': (q, s) => operator.logout(q, s),
    'GET /api/operator/session': (q, s) => operator.session(q, s),
    'GET /api/operator/events': (q, s) => operator.events(q, s),
  };

  let hosts: ReadonlySet<string> = new Set();
  let origins: ReadonlySet<string> = new Set();
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    setSecurityHeaders(res, { tls: false });
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    try {
      checkHost(req, hosts);
      const staticName = path.startsWith('/static/') ? path.slice('/static/'.length) : undefined;
      const route = staticName !== undefined && req.method === 'GET' ? page(staticName) : routes[`${req.method ?? ''} ${path}`];
      if (!route) {
        const known = Object.keys(routes).some((r) => r.endsWith(` ${path}`));
        throw known ? new ScreenError('method-not-allowed', 'method not allowed here') : new ScreenError('not-found', 'no such page');
      }
      if (req.method === 'POST') checkWrite(req, origins);
      await route(req, res);
    } catch (caught) {
      const e = isHttpGuardError(caught) ? new ScreenError(caught.code, caught.message) : caught;
      if (isScreenError(e)) {
        // The code and where: never the body (codes, PINs), the cookie or the Origin a hostile page chose.
        log.warn('request refused', { code: e.code, method: req.method, path: routes[`${req.method ?? ''} ${path}`] ? path : 'other' });
        sendError(res, e.code, e.message, e.retryAfterS);
      } else {
        log.error('request failed', { err: e, method: req.method });
        sendError(res, 'internal', 'internal error');
      }
    }
  };
  const server = createServer((req, res) => void handle(req, res));
  server.on('clientError', (_e, socket) => socket.destroy());

  const stop = new AbortController();
  const loop = (everyMs: number, fn: () => void | Promise<void>): void => {
    void (async () => {
      while (!stop.signal.aborted) {
        await opts.clock.sleep(everyMs, stop.signal).catch(() => undefined);
        if (stop.signal.aborted) return;
        await Promise.resolve(fn()).catch((e: unknown) => log.error('screen loop failed', { err: e }));
      }
    })();
  };
  /** `query: false`: the station is not asked (the hopper as it last answered). */
  const pushStatus = async (query = true): Promise<void> => {
    if (pool.count('operator') === 0) return;
    const s = await statusSource.get({ query }).catch(() => undefined);
    if (s !== undefined) pool.broadcast('operator', 'status', s);
  };
  let phase = opts.agent.state();
  /** `state` to customers when the phase changed; true then. */
  const checkPhase = (): boolean => {
    const now = opts.agent.state();
    if (now === phase) return false;
    phase = now;
    pool.broadcast('customer', 'state', customerState(now));
    return true;
  };
  // After each event the runner may change its phase in the same turn: look once that turn is done.
  // One status per event at most; a `writing` event (one per APDU) never asks the station.
  const offFeed = opts.feed.on((m) => {
    if (m.kind !== 'kiosk') return;
    const writing = m.event.type === 'writing';
    queueMicrotask(() => {
      const changed = checkPhase();
      if (!writing) void pushStatus();
      else if (changed) void pushStatus(false);
    });
  });
  loop(config.statePollMs, async () => {
    if (checkPhase()) await pushStatus();
  });
  loop(config.heartbeatMs, async () => {
    for (const s of pool.streams()) {
      if (s.session !== undefined && !sessions.check(s.session, false)) s.close();
      else s.heartbeat();
    }
    await pushStatus();
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  hosts = allowedHosts(port);
  origins = originsOf('http', hosts);
  const url = `http://${config.host}:${port}/`;
  log.info('screen listening', { url });
  return {
    url,
    port,
    config,
    close: async () => {
      stop.abort();
      offFeed();
      pool.closeAll();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
    },
  };
}

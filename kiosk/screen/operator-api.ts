/**
 * The operator's API (docs/screens.md): PIN login (PinGate: lockout),
 * logout, a session probe for the page, and the live stream — on connect
 * the last exchanges and errors are replayed, then the status, then
 * everything as it happens. Without a PIN file the operator view is off
 * ('operator-disabled'). Neither the PIN nor the session token is logged.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { sendJson } from '../../common/http-guard.js';
import type { Logger } from '../../common/log.js';
import { ScreenError } from './errors.js';
import type { ScreenFeed } from './feed.js';
import { readJson } from './http.js';
import type { PinGate } from './operator-pin.js';
import { sessionCookie, sessionToken, type OperatorSessions } from './sessions.js';
import type { StreamPool } from './sse.js';
import type { OperatorStatus } from './status.js';

export interface OperatorApiDeps {
  /** Undefined: no `--operator-pin-file`, the view is off. */
  gate: PinGate | undefined;
  sessions: OperatorSessions;
  feed: ScreenFeed;
  pool: StreamPool;
  status: () => Promise<OperatorStatus>;
  logger: Logger;
  bodyLimit: number;
}

export class OperatorApi {
  constructor(private readonly d: OperatorApiDeps) {}

  #gate(): PinGate {
    if (!this.d.gate) throw new ScreenError('operator-disabled', 'the operator view is not configured on this kiosk');
    return this.d.gate;
  }

  /** The session behind the request (its idle time restarts), or 'unauthenticated'. */
  #session(req: IncomingMessage): string {
    this.#gate();
    const token = sessionToken(req.headers.cookie);
    if (token === undefined || !this.d.sessions.check(token)) throw new ScreenError('unauthenticated', 'log in with the operator PIN');
    return token;
  }

  async login(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const gate = this.#gate();
    const body = await readJson(req, this.d.bodyLimit);
    await gate.verify(body.pin);
    const token = this.d.sessions.create();
    this.d.logger.info('operator logged in');
    sendJson(res, 200, { ok: true }, { 'Set-Cookie': sessionCookie(token) });
  }

  logout(req: IncomingMessage, res: ServerResponse): void {
    const token = this.#session(req);
    this.d.sessions.end(token);
    for (const s of this.d.pool.streams()) if (s.session === token) s.close();
    this.d.logger.info('operator logged out');
    sendJson(res, 200, { ok: true }, { 'Set-Cookie': sessionCookie('', { end: true }) });
  }

  session(req: IncomingMessage, res: ServerResponse): void {
    this.#session(req);
    sendJson(res, 200, { ok: true });
  }

  /** SSE: replay (exchanges, errors), the status, then live. Ends when the session does (server.ts ticker). */
  async events(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const token = this.#session(req);
    const stream = this.d.pool.open(req, res, 'operator', token);
    // Subscribed before the replay is sent: nothing falls between the two (the replay is synchronous).
    const off = this.d.feed.on((m) => {
      if (m.kind === 'exchange') stream.send('exchange', m.record);
      else if (m.kind === 'error') stream.send('error', m.record);
    });
    stream.onClose(off);
    for (const x of this.d.feed.exchanges()) stream.send('exchange', x);
    for (const e of this.d.feed.errors()) stream.send('error', e);
    stream.send('status', await this.d.status());
  }
}

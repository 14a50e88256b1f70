/**
 * The customer's API (docs/screens.md "API"): the page's settings, its
 * event stream (the agent's KioskEvents, the HID keypad's keys, the kiosk's
 * phase) and the request itself. One request at a time: a second one while
 * a customer is served is '409 busy'. The one-time code goes to the agent
 * and nowhere else: it is not logged, kept or echoed.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { sendJson } from '../../common/http-guard.js';
import type { Logger } from '../../common/log.js';
import type { KioskAgent } from '../agent.js';
import { ScreenError } from './errors.js';
import type { ScreenFeed } from './feed.js';
import { readJson } from './http.js';
import { checkRequest } from './request-check.js';
import type { StreamPool } from './sse.js';

export interface CustomerApiDeps {
  agent: Pick<KioskAgent, 'request' | 'state'>;
  feed: ScreenFeed;
  pool: StreamPool;
  logger: Logger;
  bodyLimit: number;
  /** What the page needs to know: its timeouts, and whether a HID keypad sends keys. */
  settings: { idleMs: number; resultMs: number; keypad: boolean; cardSource: 'hopper' | 'customer' };
}

/** The kiosk's phase as the customer page sees it: `ready` when a customer may start. */
export function customerState(phase: string): { phase: string; ready: boolean } {
  return { phase, ready: phase === 'ready' };
}

export class CustomerApi {
  #serving = false;

  constructor(private readonly d: CustomerApiDeps) {}

  settings(_req: IncomingMessage, res: ServerResponse): void {
    sendJson(res, 200, this.d.settings);
  }

  /** SSE: the phase first, then every KioskEvent (no card data, no code: kiosk/events.ts) and keypad key. */
  events(req: IncomingMessage, res: ServerResponse): void {
    const stream = this.d.pool.open(req, res, 'customer');
    stream.send('state', customerState(this.d.agent.state()));
    const off = this.d.feed.on((m) => {
      if (m.kind === 'kiosk') stream.send('kiosk', m.event);
      else if (m.kind === 'key') stream.send('key', { key: m.key });
    });
    stream.onClose(off);
  }

  /** `{ application, code }` → the outcome, with the attempts left when the center said how many. */
  async request(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (this.#serving) throw new ScreenError('busy', 'a customer is being served');
    // Claimed before the body is read: two posts racing cannot both get through.
    this.#serving = true;
    try {
      const { application, code } = checkRequest(await readJson(req, this.d.bodyLimit));
      let attemptsLeft: number | undefined;
      const off = this.d.feed.on((m) => {
        if (m.kind === 'kiosk' && m.event.type === 'request-refused' && m.event.attemptsLeft !== undefined) attemptsLeft = m.event.attemptsLeft;
      });
      const outcome = await this.d.agent.request(application, code).finally(off);
      this.d.logger.info('customer served', { outcome: outcome.outcome, ...(outcome.reason !== undefined ? { reason: outcome.reason } : {}) });
      sendJson(res, 200, {
        outcome: outcome.outcome,
        ...(outcome.reason !== undefined ? { reason: outcome.reason } : {}),
        ...(attemptsLeft !== undefined ? { attemptsLeft } : {}),
      });
    } finally {
      this.#serving = false;
    }
  }
}

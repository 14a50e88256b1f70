/**
 * The operator's status line (docs/screens.md `event: status`): the agent's
 * phase, the link, the station reader's authentication, and the hopper as
 * the station reports it (hardware/station.ts StationStatus). A station
 * that cannot answer is 'unknown', not an error page.
 *
 * The hopper costs a command on the dispenser's serial line (STATUS), so it
 * is asked sparingly: one query at a time (callers meanwhile share it), an
 * answer reused for `maxAgeMs`, and callers that must not cause a query
 * (the script's `writing` events) get the last answer. Phase, link and
 * reader are in memory and always current.
 */
import type { Clock } from '../../common/clock.js';
import type { CardStation } from '../../hardware/station.js';
import type { KioskAgent } from '../agent.js';
import type { ReaderStatus, ScreenFeed } from './feed.js';

export interface OperatorStatus {
  phase: string;
  link: 'up' | 'down';
  reader: ReaderStatus;
  hopper: { state: 'ok' | 'low' | 'empty' | 'unknown'; remaining?: number };
}

type Hopper = OperatorStatus['hopper'];

export interface OperatorStatusOptions {
  agent: Pick<KioskAgent, 'state'>;
  station: Pick<CardStation, 'status'>;
  feed: ScreenFeed;
  clock: Pick<Clock, 'now'>;
  /** How long a station answer is reused (default 1000 ms). */
  maxAgeMs?: number;
}

export class OperatorStatusSource {
  #last: { hopper: Hopper; at: number } | undefined;
  #inFlight: Promise<Hopper> | undefined;
  readonly #maxAgeMs: number;

  constructor(private readonly o: OperatorStatusOptions) {
    this.#maxAgeMs = o.maxAgeMs ?? 1000;
  }

  /** The status; `query: false` never asks the station (the last answer, a query already running, or 'unknown'). */
  async get(o: { query?: boolean } = {}): Promise<OperatorStatus> {
    const hopper = await this.#hopper(o.query !== false);
    return { phase: this.o.agent.state(), link: this.o.feed.link(), reader: this.o.feed.reader(), hopper };
  }

  #hopper(query: boolean): Promise<Hopper> {
    if (this.#inFlight) return this.#inFlight;
    const last = this.#last;
    if (last !== undefined && (!query || this.o.clock.now() - last.at < this.#maxAgeMs)) return Promise.resolve(last.hopper);
    if (!query) return Promise.resolve({ state: 'unknown' });
    const p = this.#ask().then((hopper) => {
      this.#last = { hopper, at: this.o.clock.now() };
      return hopper;
    });
    this.#inFlight = p.finally(() => (this.#inFlight = undefined));
    return this.#inFlight;
  }

  async #ask(): Promise<Hopper> {
    try {
      const s = await this.o.station.status();
      return { state: s.hopper, ...(s.hopperRemaining !== undefined ? { remaining: s.hopperRemaining } : {}) };
    } catch {
      return { state: 'unknown' };
    }
  }
}

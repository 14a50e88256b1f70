/**
 * "When no customer session is in progress" (docs/provisioning.md §3: the
 * swap waits for it, a session is never interrupted). The gate counts the
 * customers the agent is serving (`customer` wraps each `request`) and asks
 * `quiet()` about the rest — no job running, no card at the station — and
 * runs an exclusive step only when all of it holds: from then until the
 * step ends, a new customer waits at the gate (and then for the kiosk to
 * be ready again, within the runner's own timeout).
 *
 * It checks again every `pollMs` on the injected clock, and at once when a
 * customer leaves.
 */
import type { Clock } from '../../common/clock.js';

export interface IdleGateOptions {
  clock: Clock;
  /** True when nothing but a customer's request could be in progress (asked only while no customer is). */
  quiet: () => Promise<boolean>;
  pollMs: number;
}

export class IdleGate {
  readonly #o: IdleGateOptions;
  #customers = 0;
  #exclusive: Promise<void> | undefined;
  #wake: (() => void) | undefined;

  constructor(o: IdleGateOptions) {
    this.#o = o;
  }

  /** Customers now being served. */
  get customers(): number {
    return this.#customers;
  }

  /** Runs one customer's session; waits first while an exclusive step runs. */
  async customer<T>(serve: () => Promise<T>): Promise<T> {
    while (this.#exclusive) await this.#exclusive;
    this.#customers++;
    try {
      return await serve();
    } finally {
      this.#customers--;
      this.#wake?.();
    }
  }

  /** Runs `step` once no customer is served and `quiet()` holds, holding new customers back meanwhile. Rejects when `signal` aborts first. */
  async whenIdle<T>(step: () => Promise<T>, signal: AbortSignal): Promise<T> {
    for (;;) {
      signal.throwIfAborted();
      // `quiet` is asked only between customers; the count is checked again after it answered.
      if (this.#customers === 0 && !this.#exclusive && (await this.#o.quiet()) && this.#customers === 0 && !this.#exclusive) break;
      await this.#pause(signal);
    }
    let release!: () => void;
    this.#exclusive = new Promise<void>((r) => (release = r));
    try {
      return await step();
    } finally {
      this.#exclusive = undefined;
      release();
    }
  }

  /** Until the next poll, a customer leaving, or the abort. */
  async #pause(signal: AbortSignal): Promise<void> {
    const tick = new AbortController();
    const onAbort = (): void => tick.abort();
    signal.addEventListener('abort', onAbort, { once: true });
    const left = new Promise<void>((r) => (this.#wake = r));
    try {
      await Promise.race([this.#o.clock.sleep(this.#o.pollMs, tick.signal).catch(() => undefined), left]);
    } finally {
      this.#wake = undefined;
      tick.abort();
      signal.removeEventListener('abort', onAbort);
    }
  }
}

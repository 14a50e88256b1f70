/**
 * Waits for a condition on the runner's state, with a timeout on the
 * injected clock. `notify()` after every state change wakes the waiters,
 * which re-check their condition.
 */
import type { Clock } from '../common/clock.js';

export class StateWaiter {
  readonly #clock: Clock;
  #wake: (() => void)[] = [];

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  notify(): void {
    const wake = this.#wake;
    this.#wake = [];
    for (const w of wake) w();
  }

  /** Resolves true as soon as `predicate()` holds, false when `timeoutMs` passes first. */
  async until(predicate: () => boolean, timeoutMs: number): Promise<boolean> {
    const end = this.#clock.now() + timeoutMs;
    while (!predicate()) {
      const remaining = end - this.#clock.now();
      if (remaining <= 0) return false;
      const abort = new AbortController();
      const changed = new Promise<void>((resolve) => this.#wake.push(resolve));
      await Promise.race([changed, this.#clock.sleep(remaining, abort.signal).catch(() => undefined)]);
      abort.abort();
    }
    return true;
  }
}

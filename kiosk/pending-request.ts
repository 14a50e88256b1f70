/**
 * A customer's request waiting for the center. It ends when settled (an
 * answer, the job's end, a refusal, a stop) or when the center has been
 * silent for `timeoutMs` since the last exchange (`touch`): a script run
 * or a slow card does not count against the center. Timers come from the
 * injected clock; none is left behind once settled.
 */
import type { Clock } from '../common/clock.js';
import type { KioskOutcome } from './runner-context.js';

export class PendingRequest {
  readonly #clock: Clock;
  readonly #timeoutMs: number;
  #last: number;
  #settled: KioskOutcome | undefined;
  readonly #abort = new AbortController();
  #resolve!: (o: KioskOutcome) => void;
  readonly #done: Promise<KioskOutcome>;

  constructor(clock: Clock, timeoutMs: number) {
    this.#clock = clock;
    this.#timeoutMs = timeoutMs;
    this.#last = clock.now();
    this.#done = new Promise((resolve) => (this.#resolve = resolve));
  }

  touch(): void {
    this.#last = this.#clock.now();
  }

  /** The first settlement wins; later ones are ignored. */
  settle(outcome: KioskOutcome): void {
    if (this.#settled !== undefined) return;
    this.#settled = outcome;
    this.#abort.abort();
    this.#resolve(outcome);
  }

  async outcome(): Promise<KioskOutcome> {
    while (this.#settled === undefined) {
      const remaining = this.#last + this.#timeoutMs - this.#clock.now();
      if (remaining <= 0) {
        this.settle({ outcome: 'timeout', reason: 'center-silent' });
        break;
      }
      // The sleep rejects when settle() aborts it: that is the wake-up, not an error.
      await Promise.race([this.#clock.sleep(remaining, this.#abort.signal).catch(() => undefined), this.#done]);
    }
    return this.#done;
  }
}

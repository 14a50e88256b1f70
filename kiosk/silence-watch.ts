/**
 * The center-silence watchdog (issue 6, scale-out workers): the kiosk sent
 * a message that expects an answer (hello, request, card, result) and
 * nothing has come down for `timeoutMs`. With several center workers this
 * happens when the worker that took the message died after the broker
 * acknowledged it to the kiosk: the message is gone, and nobody else will
 * answer. `onSilent` then opens a new session (a new hello), and the
 * center's hello recovery (center/handlers/hello.ts) resumes the job from
 * the database on a live worker.
 *
 * Backoff: the wait doubles after each new session that got no answer
 * (timeoutMs, 2×, 4× … at most SILENCE_BACKOFF_MAX_MS) and is timeoutMs
 * again after any answer. A slow center is then not taken for a dead one
 * over and over (each hello runs a recovery that counts an attempt), and a
 * center that cannot answer at all (an unknown kiosk, no worker) gets a
 * few new sessions an hour, not one every timeoutMs.
 *
 * A down message that answers (the runner decides which: a registry push
 * answers nothing), or the link going down (its reconnect opens a new
 * session anyway), means nothing is awaited. Timers come from the injected
 * clock; `stop` leaves none behind.
 */
import type { Clock } from '../common/clock.js';
import type { Logger } from '../common/log.js';

/** The longest wait between two new sessions while the center stays silent. */
export const SILENCE_BACKOFF_MAX_MS = 5 * 60_000;

export class SilenceWatch {
  #since: number | undefined;
  /** New sessions opened since the last answer: the wait is timeoutMs × 2^level. */
  #level = 0;
  #running = false;
  readonly #abort = new AbortController();
  /** The loop's current sleep: when it ends, and how to end it early (an answer shortened the wait). */
  #nap: { until: number; wake: AbortController } | undefined;

  constructor(
    private readonly clock: Clock,
    private readonly timeoutMs: number,
    private readonly onSilent: () => Promise<void>,
    private readonly log: Logger,
    private readonly maxMs = SILENCE_BACKOFF_MAX_MS,
  ) {}

  /** How long the center has from an expect() now. */
  #waitMs(): number {
    return Math.min(Math.max(this.maxMs, this.timeoutMs), this.timeoutMs * 2 ** this.#level);
  }

  /** A message that expects an answer was sent: the center has the current wait from now. */
  expect(): void {
    if (this.#abort.signal.aborted) return;
    this.#since = this.clock.now();
    if (!this.#running) void this.#watch();
    // After an answer the wait is short again: a sleep sized for the longer one would wake too late.
    else if (this.#nap && this.#since + this.#waitMs() < this.#nap.until) this.#nap.wake.abort();
  }

  /** The center answered: nothing is awaited, and the next wait is `timeoutMs` again. */
  heard(): void {
    this.#since = undefined;
    this.#level = 0;
  }

  /** The link dropped: nothing is awaited (the reconnect's hello expects again); no answer came, so the backoff stays. */
  cancel(): void {
    this.#since = undefined;
  }

  stop(): void {
    this.#since = undefined;
    this.#abort.abort();
  }

  async #watch(): Promise<void> {
    this.#running = true;
    try {
      while (this.#since !== undefined && !this.#abort.signal.aborted) {
        const waited = this.#waitMs();
        const left = this.#since + waited - this.clock.now();
        if (left > 0) {
          // Woken early by stop() or a shorter wait (expect); a cleared or renewed wait is read again after the sleep.
          const wake = new AbortController();
          this.#nap = { until: this.clock.now() + left, wake };
          await this.clock.sleep(left, AbortSignal.any([this.#abort.signal, wake.signal])).catch(() => undefined);
          this.#nap = undefined;
          continue;
        }
        this.#since = undefined;
        this.#level = Math.min(this.#level + 1, 30);
        this.log.warn('the center is silent: opening a new session', { silentMs: waited, nextWaitMs: this.#waitMs() });
        // The new session's hello calls expect() again: the loop goes on watching it.
        await this.onSilent().catch((e: unknown) => this.log.error('opening a new session failed', { err: e }));
      }
    } finally {
      this.#running = false;
    }
  }
}

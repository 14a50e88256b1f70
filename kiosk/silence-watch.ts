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
 * A down message that answers (the runner decides which: a registry push
 * answers nothing), or the link going down (its reconnect opens a new
 * session anyway), means nothing is awaited. Timers come from the injected
 * clock; `stop` leaves none behind.
 */
import type { Clock } from '../common/clock.js';
import type { Logger } from '../common/log.js';

export class SilenceWatch {
  #since: number | undefined;
  #running = false;
  readonly #abort = new AbortController();

  constructor(
    private readonly clock: Clock,
    private readonly timeoutMs: number,
    private readonly onSilent: () => Promise<void>,
    private readonly log: Logger,
  ) {}

  /** A message that expects an answer was sent: the center has `timeoutMs` from now. */
  expect(): void {
    if (this.#abort.signal.aborted) return;
    this.#since = this.clock.now();
    if (!this.#running) void this.#watch();
  }

  /** The center answered (or the link dropped): nothing is awaited. */
  heard(): void {
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
        const left = this.#since + this.timeoutMs - this.clock.now();
        if (left > 0) {
          // Woken early only by stop(); a cleared or renewed wait is read again after the sleep.
          await this.clock.sleep(left, this.#abort.signal).catch(() => undefined);
          continue;
        }
        this.#since = undefined;
        this.log.warn('the center is silent: opening a new session', { silentMs: this.timeoutMs });
        // The new session's hello calls expect() again: the loop goes on watching it.
        await this.onSilent().catch((e: unknown) => this.log.error('opening a new session failed', { err: e }));
      }
    } finally {
      this.#running = false;
    }
  }
}

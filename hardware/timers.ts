/**
 * Cancellable timeouts on an injected Clock. A cancelled timer leaves no
 * real timer behind (the clock's sleep is aborted), so an abandoned 30 s
 * transmit timeout never holds a finished test or a stopped CLI alive.
 */
import type { Clock } from '../common/clock.js';

export interface Timer {
  /** Resolves when the time is up; never resolves once cancelled. */
  readonly done: Promise<void>;
  cancel(): void;
}

export function startTimer(clock: Clock, ms: number): Timer {
  const controller = new AbortController();
  const done = new Promise<void>((resolve) => {
    // A rejection means cancelled (or a clock that failed): the timer then never reports.
    clock.sleep(ms, controller.signal).then(resolve, () => undefined);
  });
  return { done, cancel: () => controller.abort() };
}

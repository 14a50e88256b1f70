/**
 * Cancellable timeouts on an injected Clock.
 *
 * `Clock.sleep` cannot be cancelled. With the system clock an abandoned
 * sleep would keep a real timer, and so the process, alive until it fires
 * (a 30 s transmit timeout would hold a finished test or a stopped CLI for
 * 30 s). So for `systemClock` the timer is a real, clearable setTimeout; any
 * other clock (FakeClock in tests) goes through `clock.sleep`, and a
 * cancelled timer simply never reports.
 */
import { systemClock, type Clock } from '../../common/clock.js';

export interface Timer {
  /** Resolves when the time is up; never resolves once cancelled. */
  readonly done: Promise<void>;
  cancel(): void;
}

export function startTimer(clock: Clock, ms: number): Timer {
  let cancelled = false;
  if (clock === systemClock) {
    let handle: NodeJS.Timeout | undefined;
    const done = new Promise<void>((resolve) => {
      handle = setTimeout(resolve, Math.max(0, ms));
    });
    return {
      done,
      cancel: () => {
        cancelled = true;
        clearTimeout(handle);
      },
    };
  }
  const done = new Promise<void>((resolve) => {
    void clock.sleep(ms).then(() => {
      if (!cancelled) resolve();
    });
  });
  return { done, cancel: () => void (cancelled = true) };
}

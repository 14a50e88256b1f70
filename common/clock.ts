/**
 * Time, injected. Code that waits or timestamps takes a Clock so that tests
 * can use a fake one instead of real timers.
 */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Resolves after `ms` milliseconds of this clock's time. */
  sleep(ms: number): Promise<void>;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

/** A manually advanced clock for tests: sleepers wake when `advance` passes their time. */
export class FakeClock implements Clock {
  private t: number;
  private sleepers: { at: number; wake: () => void }[] = [];
  constructor(start = 0) {
    this.t = start;
  }
  now(): number {
    return this.t;
  }
  sleep(ms: number): Promise<void> {
    return new Promise((wake) => {
      this.sleepers.push({ at: this.t + Math.max(0, ms), wake });
    });
  }
  /** Moves time forward and wakes every sleeper whose time has come, in order. */
  advance(ms: number): void {
    this.t += ms;
    const due = this.sleepers.filter((s) => s.at <= this.t).sort((a, b) => a.at - b.at);
    this.sleepers = this.sleepers.filter((s) => s.at > this.t);
    for (const s of due) s.wake();
  }
}

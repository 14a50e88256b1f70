/**
 * Per-kiosk request rate limit (DESIGN §3 step 3: "rate limits, lockout,
 * expiry"). The lockout protects one application from guessing; this keeps
 * one kiosk — a compromised one, say — from trying codes across many
 * applications quickly. A fixed window per kiosk, in memory: a limit that
 * resets when the center restarts still bounds the rate to a few windows'
 * worth, and the per-application lockout is durable.
 */
import type { Clock } from '../common/clock.js';

export interface RateLimitOptions {
  /** Requests allowed per window. */
  limit: number;
  windowMs: number;
  /** Keys tracked at most (oldest windows dropped first). */
  maxKeys?: number;
}

export class RateLimiter {
  private readonly windows = new Map<string, { start: number; count: number }>();

  constructor(
    private readonly clock: Clock,
    private readonly opts: RateLimitOptions,
  ) {}

  /** Counts one request for `key`; false when it is over the limit. */
  take(key: string): boolean {
    const now = this.clock.now();
    let w = this.windows.get(key);
    if (!w || now - w.start >= this.opts.windowMs) {
      w = { start: now, count: 0 };
      this.windows.delete(key);
      this.windows.set(key, w);
      this.evict();
    }
    w.count += 1;
    return w.count <= this.opts.limit;
  }

  private evict(): void {
    const max = this.opts.maxKeys ?? 10_000;
    while (this.windows.size > max) {
      const oldest = this.windows.keys().next().value;
      if (oldest === undefined) return;
      this.windows.delete(oldest);
    }
  }
}

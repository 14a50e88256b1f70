/**
 * Who is back after the broker's restart. Armed with the fleet's kiosk IDs
 * before the restart; each kiosk must go down (its link closed) and come
 * back (reader authenticated again / welcome received) after its latest
 * drop. The time is counted from the first drop seen (the broker going
 * away) to each kiosk's return. Done when every kiosk is back, or at the
 * timeout with the ones that are not. Also serves one-off waits for a
 * kiosk's first `back` while the fleet comes up.
 */
import { percentile } from '../issue/report.js';
import type { ReconnectResult } from './protocol.js';

interface Armed {
  ids: readonly string[];
  downAt: Map<string, number>;
  backAt: Map<string, number>;
  firstDown: number | undefined;
  done: (r: ReconnectResult) => void;
  timer: NodeJS.Timeout;
}

export class ReconnectWatch {
  #armed: Armed | undefined;
  readonly #waiters = new Map<string, () => void>();

  /** Resolves at the kiosk's next `back`; rejects after `ms`. */
  waitBack(id: string, ms: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiters.delete(id);
        reject(new Error(`${id} not back within ${ms} ms`));
      }, ms);
      this.#waiters.set(id, () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  arm(ids: readonly string[], timeoutMs: number, done: (r: ReconnectResult) => void): void {
    const timer = setTimeout(() => this.#finish(), timeoutMs);
    this.#armed = { ids, downAt: new Map(), backAt: new Map(), firstDown: undefined, done, timer };
  }

  down(id: string, at: number): void {
    const a = this.#armed;
    if (!a) return;
    a.firstDown ??= at;
    a.downAt.set(id, at);
    a.backAt.delete(id);
  }

  back(id: string, at: number): void {
    const w = this.#waiters.get(id);
    if (w) {
      this.#waiters.delete(id);
      w();
    }
    const a = this.#armed;
    if (!a || !a.downAt.has(id)) return;
    a.backAt.set(id, at);
    if (a.backAt.size === a.ids.length) this.#finish();
  }

  #finish(): void {
    const a = this.#armed;
    if (!a) return;
    this.#armed = undefined;
    clearTimeout(a.timer);
    const first = a.firstDown ?? 0;
    const times = [...a.backAt.values()].map((t) => t - first);
    const all = a.backAt.size === a.ids.length;
    a.done({
      kiosks: a.ids.length,
      down: a.downAt.size,
      back: a.backAt.size,
      allBackMs: all ? Math.max(...times) : undefined,
      p50BackMs: times.length > 0 ? percentile(times, 50) : undefined,
      p99BackMs: times.length > 0 ? percentile(times, 99) : undefined,
      notBack: a.ids.filter((id) => !a.backAt.has(id)).slice(0, 20),
    });
  }
}

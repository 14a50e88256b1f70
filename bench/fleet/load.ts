/**
 * The offered load: customers arrive at `rate` a second for the whole fleet
 * (open loop, evenly spaced), each at an idle kiosk picked at random; an
 * arrival that finds every kiosk busy is counted as missed (or, when no
 * kiosk has cards left, as out of stock), not queued (a kiosk serves one customer at a time, as a real one does).
 * So the fleet never holds more requests than kiosks, and when the center
 * cannot keep up the latency shows it and the issued rate falls below the
 * offered one. After the last arrival, requests in progress are waited for.
 */
import type { IssuingKiosk } from './fleet-kiosk.js';
import type { Customer, LoadResult, RequestSample } from './protocol.js';

const TICK_MS = 5;

/** Serves customers from `queues` (one per kiosk, consumed: a later call serves the ones left). */
export async function offerLoad(kiosks: readonly IssuingKiosk[], queues: Customer[][], rate: number, durationS: number): Promise<LoadResult> {
  const idle = new Set<number>(kiosks.map((_, i) => i).filter((i) => (queues[i]?.length ?? 0) > 0));
  const samples: RequestSample[] = [];
  const running = new Set<Promise<void>>();
  let missed = 0;
  let noStock = 0;
  let offered = 0;
  const t0 = performance.now();
  const serve = (i: number): void => {
    const k = kiosks[i]!;
    const c = queues[i]!.shift()!;
    idle.delete(i);
    const start = performance.now();
    const p = k
      .request(c.application, c.code)
      .then((r) => {
        void samples.push({
          kiosk: k.id,
          application: c.application,
          outcome: r.outcome,
          ...(r.reason !== undefined ? { reason: r.reason } : {}),
          requestMs: performance.now() - start,
          ...(r.outcome === 'issued' && k.lastInsertToIssuedMs !== undefined ? { insertToIssuedMs: k.lastInsertToIssuedMs } : {}),
          at: start - t0,
        });
      })
      .catch((e: unknown) => void samples.push({ kiosk: k.id, application: c.application, outcome: 'error', reason: e instanceof Error ? e.message : String(e), requestMs: performance.now() - start, at: start - t0 }))
      .finally(() => {
        running.delete(p);
        if (queues[i]!.length > 0) idle.add(i);
      });
    running.add(p);
  };
  const endAt = t0 + durationS * 1000;
  while (performance.now() < endAt) {
    const due = Math.floor(((performance.now() - t0) / 1000) * rate);
    for (; offered < due; offered++) {
      if (idle.size === 0) {
        if (queues.some((q) => q.length > 0)) missed++;
        else noStock++;
        continue;
      }
      serve(pick(idle));
    }
    await new Promise((r) => setTimeout(r, TICK_MS));
  }
  while (running.size > 0) await Promise.race(running);
  return { samples, missed, noStock, wallMs: performance.now() - t0 };
}

function pick(set: Set<number>): number {
  let n = Math.floor(Math.random() * set.size);
  for (const v of set) if (n-- === 0) return v;
  throw new RangeError('empty set');
}

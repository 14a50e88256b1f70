/**
 * The dynsec reconciler's periodic passes run only on the fleet's leader
 * (center/broker/external/reconciler.ts reconcileWhileLeading): N workers
 * must not each read the kiosk table every second, and a worker that takes
 * the lead over starts with a full pass (its record of what it applied may
 * be stale).
 */
import t from 'tap';
import { reconcileWhileLeading } from '../../../center/broker/external/reconciler.js';
import { FakeClock } from '../../../common/clock.js';
import { silentLogger } from '../../../common/log.js';

/** Lets the loop's awaits (leads, pass) settle between clock steps. */
const settle = async (): Promise<void> => {
  for (let i = 0; i < 10; i++) await Promise.resolve();
};

void t.test('passes only while leading; a worker taking the lead over marks its record stale first', async (t) => {
  const clock = new FakeClock(0);
  const log: string[] = [];
  const reconciler = {
    pass: () => {
      log.push('pass');
      return Promise.resolve();
    },
    stale: () => void log.push('stale'),
  };
  // Leading, leading, following twice, leading again.
  const leadership = [true, true, false, false, true];
  let asked = 0;
  const stop = new AbortController();
  const loop = reconcileWhileLeading({ reconciler, clock, everyMs: 1_000, signal: stop.signal, log: silentLogger, leads: () => Promise.resolve(leadership[asked++] ?? true) });
  for (let i = 0; i < leadership.length; i++) {
    clock.advance(1_000);
    await settle();
  }
  stop.abort();
  await loop;
  t.equal(asked, leadership.length, 'leadership asked once per period');
  t.same(log, ['pass', 'pass', 'stale', 'pass'], 'no pass while following; the first pass after taking over is full');
});

void t.test('without a leader every period passes; a failed leadership query counts as following', async (t) => {
  const clock = new FakeClock(0);
  let passes = 0;
  const reconciler = { pass: () => Promise.resolve(void passes++), stale: () => undefined };
  const stop = new AbortController();
  const loop = reconcileWhileLeading({ reconciler, clock, everyMs: 500, signal: stop.signal, log: silentLogger });
  for (let i = 0; i < 3; i++) {
    clock.advance(500);
    await settle();
  }
  stop.abort();
  await loop;
  t.equal(passes, 3, 'a pass each period');

  let failing = 0;
  const stop2 = new AbortController();
  const loop2 = reconcileWhileLeading({ reconciler: { pass: () => Promise.resolve(void failing++), stale: () => undefined }, clock, everyMs: 500, signal: stop2.signal, log: silentLogger, leads: () => Promise.reject(new Error('lock connection lost')) });
  clock.advance(500);
  await settle();
  stop2.abort();
  await loop2;
  t.equal(failing, 0, 'no pass when leadership cannot be known');
});

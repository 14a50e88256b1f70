/** The injected clocks: sleeps wake on time, and an aborted sleep is cancelled and rejects. */
import t from 'tap';
import { FakeClock, systemClock } from '../../../common/clock.js';
import { startTimer } from '../../../hardware/timers.js';

void t.test('FakeClock wakes sleepers in time order, and only when their time has come', async (t) => {
  const clock = new FakeClock(1000);
  const woke: number[] = [];
  const a = clock.sleep(30).then(() => woke.push(30));
  const b = clock.sleep(10).then(() => woke.push(10));
  clock.advance(9);
  await Promise.resolve();
  t.same(woke, [], 'nothing before its time');
  clock.advance(25);
  await Promise.all([a, b]);
  t.same(woke, [10, 30]);
  t.equal(clock.now(), 1034);
});

void t.test('an aborted FakeClock sleep rejects and leaves no sleeper behind', async (t) => {
  const clock = new FakeClock();
  const controller = new AbortController();
  const sleeping = clock.sleep(100, controller.signal);
  t.equal(clock.pending, 1);
  controller.abort();
  await t.rejects(sleeping, { name: 'AbortError' });
  t.equal(clock.pending, 0, 'the cancelled sleeper is gone');
  await t.rejects(clock.sleep(5, controller.signal), { name: 'AbortError' }, 'an already aborted signal rejects at once');
  t.equal(clock.pending, 0);
});

const timeouts = (): number => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;

void t.test('an aborted systemClock sleep clears its real timer', async (t) => {
  const controller = new AbortController();
  const before = timeouts();
  const sleeping = systemClock.sleep(60_000, controller.signal);
  t.equal(timeouts(), before + 1, 'the sleep arms one real timer');
  controller.abort();
  await t.rejects(sleeping, { name: 'AbortError' });
  t.equal(timeouts(), before, 'aborting cleared it');
  await systemClock.sleep(1);
  t.pass('an ordinary sleep resolves');
});

void t.test('startTimer: done resolves on time, and never once cancelled', async (t) => {
  const clock = new FakeClock();
  const fired = startTimer(clock, 10);
  const cancelled = startTimer(clock, 10);
  cancelled.cancel();
  let cancelledFired = false;
  void cancelled.done.then(() => (cancelledFired = true));
  t.equal(clock.pending, 1, 'the cancelled timer left no sleeper');
  clock.advance(10);
  await fired.done;
  await Promise.resolve();
  t.equal(cancelledFired, false);
});

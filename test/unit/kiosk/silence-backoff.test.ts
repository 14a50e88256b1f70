/**
 * The center-silence watchdog backs off (kiosk/silence-watch.ts, issue 6
 * review): a slow center (a message waiting up to the center's lockWaitMs
 * for its lock, then gapWaitMs for a predecessor) is not mistaken for a
 * dead one, and a center that can never answer (an unknown kiosk, no
 * worker) gets a bounded number of new sessions, not one every
 * answerTimeoutMs forever. Each new session's hello runs a recovery at the
 * center that counts an attempt, so the schedule bounds those too.
 */
import t from 'tap';
import { FakeClock } from '../../../common/clock.js';
import { memoryLogger } from '../../../common/log.js';
import { DEFAULT_LIMITS } from '../../../center/deps.js';
import { decodeKioskConfig } from '../../../kiosk/config.js';
import { UP_DEADLINE_MS } from '../../../kiosk/link.js';
import { SilenceWatch, SILENCE_BACKOFF_MAX_MS } from '../../../kiosk/silence-watch.js';
import { down, readyRig, registry, rig } from './fakes.js';

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));
const S = 1_000;
const TEN_MINUTES = 600 * S;

/** Steps the fake clock a second at a time, letting the watch run in between. */
async function run(clock: FakeClock, ms: number): Promise<void> {
  for (let done = 0; done < ms; done += S) {
    clock.advance(S);
    for (let i = 0; i < 4; i++) await tick();
  }
}

/** A watch whose every renewal is answered by nothing but its own hello (expect() again), as the runner does. */
function unanswered(clock: FakeClock, base: number) {
  const at: number[] = [];
  const w = new SilenceWatch(clock, base, () => {
    at.push(clock.now() / S);
    w.expect();
    return Promise.resolve();
  }, memoryLogger());
  return { w, at };
}

void t.test('no answer ever: waits of 10, 20, 40, 80, 160 s, then at most 5 min', async (t) => {
  const clock = new FakeClock(0);
  const { w, at } = unanswered(clock, 10 * S);
  w.expect();
  await run(clock, TEN_MINUTES);
  t.same(at, [10, 30, 70, 150, 310], 'five new sessions in ten minutes (no backoff: sixty)');
  await run(clock, 21 * 60 * S);
  t.same(at.slice(5), [610, 910, 1210, 1510, 1810], `then one every ${SILENCE_BACKOFF_MAX_MS / S} s`);
  w.stop();
  t.equal(clock.pending, 0);
});

void t.test('an answer resets the backoff; a link drop does not', async (t) => {
  const clock = new FakeClock(0);
  const { w, at } = unanswered(clock, 10 * S);
  w.expect();
  await run(clock, 35 * S); // renewals at 10 and 30; the next wait would be 40 s
  w.heard(); // 35 s: welcome
  await run(clock, 5 * S);
  w.expect(); // 40 s: a request
  await run(clock, 15 * S);
  t.same(at, [10, 30, 50], 'after an answer the wait is answerTimeoutMs again');
  w.cancel(); // 55 s: the link dropped; its reconnect says hello
  await run(clock, 5 * S);
  w.expect(); // 60 s
  await run(clock, 15 * S);
  t.same(at, [10, 30, 50], 'the hello after a reconnect still waits 20 s…');
  await run(clock, 5 * S);
  t.same(at, [10, 30, 50, 80], '…not answerTimeoutMs: no answer came');
  w.stop();
});

void t.test('the runner with a center that never answers: new sessions over ten minutes bounded by the schedule, each a hello', async (t) => {
  const r = rig({ answerTimeoutMs: 10 * S });
  await r.runner.sessionOpened();
  await run(r.clock, TEN_MINUTES);
  t.equal(r.link.renewals, 5);
  t.equal(r.link.types().filter((x) => x === 'hello').length, 6, 'the first hello and one per new session');
  await r.runner.stop();
  t.equal(r.clock.pending, 0, 'stop leaves no timer');
});

void t.test('an answer in the runner resets the backoff; a registry push does not', async (t) => {
  const r = await readyRig({ answerTimeoutMs: 10 * S });
  await r.runner.sessionOpened(); // a hello nobody answers
  await run(r.clock, 30 * S);
  t.equal(r.link.renewals, 2, 'at 10 and 30 s');
  r.runner.deliver(down('registry', registry(undefined, 2)));
  await r.runner.idle();
  await run(r.clock, 39 * S);
  t.equal(r.link.renewals, 2, 'a registry push is no answer: the wait is still 40 s');
  await run(r.clock, S);
  t.equal(r.link.renewals, 3);
  r.runner.deliver(down('welcome', registry()));
  await r.runner.idle();
  await r.runner.sessionOpened();
  await run(r.clock, 10 * S);
  t.equal(r.link.renewals, 4, 'after welcome: answerTimeoutMs again');
  await r.runner.stop();
});

void t.test('defaults: the first new session comes after the center could still answer; the customer still waits then', (t) => {
  const c = decodeKioskConfig({ identityDir: '/id', brokerUrl: 'mqtts://center:8883', station: 'sim:/st' });
  // center/store/postgres.ts: lockWaitMs defaults to 30 000 (a message waits that long for its kiosk's lock);
  // the gap wait (DEFAULT_LIMITS.gapWaitMs) too. Both end at the message's deadline: after it the center refuses it 'late'.
  const centerLockWaitMs = 30_000;
  const latestHandling = Math.min(centerLockWaitMs + DEFAULT_LIMITS.gapWaitMs, UP_DEADLINE_MS);
  t.ok(c.answerTimeoutMs > latestHandling, `answerTimeoutMs ${c.answerTimeoutMs} > min(lockWaitMs + gapWaitMs, the up deadline) = ${latestHandling}`);
  t.ok(c.requestTimeoutMs > c.answerTimeoutMs, `requestTimeoutMs ${c.requestTimeoutMs} > answerTimeoutMs: the customer is still there when the recovery answers`);
  t.end();
});

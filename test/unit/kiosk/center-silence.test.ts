/**
 * The kiosk's center-silence watchdog (kiosk/silence-watch.ts, issue 6):
 * a center worker that dies holding the kiosk's message leaves the kiosk
 * without an answer; after `answerTimeoutMs` the kiosk opens a new session
 * (hello) so that the center's hello recovery resumes the job, and the
 * customer still gets their card.
 */
import t from 'tap';
import { SilenceWatch } from '../../../kiosk/silence-watch.js';
import { FakeClock } from '../../../common/clock.js';
import { memoryLogger } from '../../../common/log.js';
import { CODE, down, insertCard, issuedBody, JOB, JOB2, readyRig, registry, script, until, type Rig } from './fakes.js';

const APP = 'app-1';
const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

async function advance(r: Rig, ms: number): Promise<void> {
  r.clock.advance(ms);
  for (let i = 0; i < 5; i++) await tick();
}

void t.test('silent after the result: a new session after answerTimeoutMs; the recovery ends in issued', async (t) => {
  const r = await readyRig({ answerTimeoutMs: 5_000, requestTimeoutMs: 30_000 });
  const outcome = r.runner.request(APP, CODE);
  await until(() => r.link.types().includes('request'));
  r.runner.deliver(insertCard());
  r.runner.deliver(script());
  await r.runner.idle();
  t.equal(r.link.types().at(-1), 'result', 'the script ran and its result went up');
  await advance(r, 4_999);
  t.equal(r.link.renewals, 0, 'still within answerTimeoutMs: nothing done');
  await advance(r, 1);
  await until(() => r.link.renewals === 1);
  t.equal(r.link.types().at(-1), 'hello', 'a new session said hello');
  t.match(r.link.last('hello'), { card: { present: true } }, 'telling the center the card is at the station');
  t.ok(r.logger.lines.some((l) => l.includes('the center is silent: opening a new session')), 'and said why');
  // The center's hello recovery on a live worker: welcome, then the same card inspected again, then issued.
  r.runner.deliver(down('welcome', registry()));
  r.runner.deliver(insertCard(2, true));
  r.runner.deliver(script({ attempt: 2, kind: 'inspect' }));
  await r.runner.idle();
  r.runner.deliver(down('issued', issuedBody(JOB)));
  t.same(await outcome, { outcome: 'issued', job: JOB }, 'the customer gets the card: no visible failure');
  t.equal(r.link.renewals, 1, 'one new session only');
});

void t.test('silent after the request: a new session, then the request sent again; the voided reservation is not the outcome', async (t) => {
  const r = await readyRig({ answerTimeoutMs: 5_000 });
  const outcome = r.runner.request(APP, CODE);
  await until(() => r.link.types().includes('request'));
  await advance(r, 5_000);
  await until(() => r.link.renewals === 1);
  t.equal(r.link.types().at(-1), 'hello');
  r.runner.deliver(down('welcome', registry()));
  // What the recovery says of the reservation the dead worker made: released, for a job this kiosk never saw.
  r.runner.deliver(down('failed', { job: JOB2, reason: 'voided' }));
  await until(() => r.link.types().filter((x) => x === 'request').length === 2);
  t.same(r.link.last('request'), { application: APP, code: CODE }, 'the same request, in the new session');
  await r.runner.idle();
  t.ok(r.logger.lines.some((l) => l.includes('voided reservation of a request sent again: ignored')), 'the voided reservation was ignored');
  r.runner.deliver(insertCard());
  r.runner.deliver(script());
  await r.runner.idle();
  r.runner.deliver(down('issued', issuedBody(JOB)));
  t.same(await outcome, { outcome: 'issued', job: JOB });
  t.notOk(r.logger.lines.some((l) => l.includes(CODE)), 'the code is never logged');
});

void t.test('a down message that answers nothing (a registry push) does not end the wait for the answer', async (t) => {
  const r = await readyRig({ answerTimeoutMs: 5_000, requestTimeoutMs: 30_000 });
  void r.runner.request(APP, CODE);
  await until(() => r.link.types().includes('request'));
  r.runner.deliver(insertCard());
  r.runner.deliver(script());
  await r.runner.idle();
  t.equal(r.link.types().at(-1), 'result');
  await advance(r, 3_000);
  r.runner.deliver(down('registry', registry(undefined, 2)));
  await r.runner.idle();
  await advance(r, 2_500);
  await until(() => r.link.renewals === 1);
  t.equal(r.link.types().at(-1), 'hello', 'the result is still unanswered: a new session');
  await advance(r, 3_000);
  t.equal(r.link.renewals, 1, 'exactly one');
  await r.runner.stop();
});

void t.test('an answering center: no new session; no watchdog without answerTimeoutMs', async (t) => {
  const r = await readyRig({ answerTimeoutMs: 5_000 });
  const outcome = r.runner.request(APP, CODE);
  await until(() => r.link.types().includes('request'));
  await advance(r, 4_000);
  r.runner.deliver(down('request-refused', { reason: 'busy' }));
  t.match(await outcome, { outcome: 'refused', reason: 'busy' });
  await advance(r, 10_000);
  t.equal(r.link.renewals, 0, 'the answer ended the wait');

  const off = await readyRig();
  const o2 = off.runner.request(APP, CODE);
  await until(() => off.link.types().includes('request'));
  await advance(off, 29_000);
  t.equal(off.link.renewals, 0, 'without answerTimeoutMs the kiosk only waits (requestTimeoutMs)');
  await advance(off, 1_000);
  t.match(await o2, { outcome: 'timeout' });
});

void t.test('SilenceWatch: stop leaves no timer; a link drop clears the wait', async (t) => {
  const clock = new FakeClock(0);
  let silent = 0;
  const w = new SilenceWatch(clock, 1_000, () => Promise.resolve(void silent++), memoryLogger());
  w.expect();
  w.heard();
  clock.advance(2_000);
  await tick();
  t.equal(silent, 0, 'heard: nothing');
  w.expect();
  clock.advance(1_000);
  await tick();
  t.equal(silent, 1, 'silent for the timeout: onSilent once');
  clock.advance(5_000);
  await tick();
  t.equal(silent, 1, 'not again until something is expected again');
  w.expect();
  w.stop();
  clock.advance(5_000);
  await tick();
  t.equal(silent, 1, 'stopped: nothing more');
  t.equal(clock.pending, 0, 'no sleeper left');
});

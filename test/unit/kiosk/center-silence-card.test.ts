/**
 * The center went silent after the kiosk's `card` (issue 6: the worker that
 * took it died): the job is RESERVED at the center, the card fed for it sits
 * at the station. The center's hello recovery (center/handlers/hello.ts)
 * resumes the reservation with a new attempt and an `insert-card` with
 * recover=false, so the kiosk's customer check still applies; the kiosk uses
 * the card it fed for this very job instead of capturing it and feeding
 * another. A customer who gave up gets nothing written: the card is refused
 * as `no-customer` and captured when the center ends the job.
 */
import t, { type Test } from 'tap';
import { CODE, down, insertCard, issuedBody, JOB, readyRig, registry, script, until, type Rig } from './fakes.js';

const APP = 'app-1';
const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

async function advance(r: Rig, ms: number): Promise<void> {
  r.clock.advance(ms);
  for (let i = 0; i < 5; i++) await tick();
}

/** A customer's request, its card fed and read (attempt 1), then a silent center: a new session says hello. */
async function silentAfterCard(t: Test, r: Rig): Promise<void> {
  await until(() => r.link.types().includes('request'));
  r.runner.deliver(insertCard());
  await r.runner.idle();
  t.equal(r.link.types().at(-1), 'card', 'the card was read and its answer went up');
  await advance(r, 5_000);
  await until(() => r.link.renewals === 1);
  r.runner.deliver(down('welcome', registry()));
  await r.runner.idle();
}

void t.test('silent after the card: the resumed reservation reads the same card again; the customer gets it', async (t) => {
  const r = await readyRig({ answerTimeoutMs: 5_000, requestTimeoutMs: 30_000 });
  const outcome = r.runner.request(APP, CODE);
  await silentAfterCard(t, r);
  t.match(r.link.last('hello'), { card: { present: true } }, 'the new session tells the center the card is at the station');
  t.same(r.station.moves, ['feed'], 'one card fed so far');

  r.runner.deliver(insertCard(2, false));
  await r.runner.idle();
  t.same(r.station.moves, ['feed'], 'the card fed for this job is used: nothing captured, nothing fed');
  t.match(r.link.last('card'), { job: JOB, attempt: 2 }, 'the card answers the new attempt');
  t.ok(r.link.last('card').iu, 'with its INITIALIZE UPDATE response');
  t.notOk(r.link.sent.some((s) => s.type === 'request' && s !== r.link.sent.find((x) => x.type === 'request')), 'the request was not sent again');

  r.runner.deliver(script({ attempt: 2 }));
  await r.runner.idle();
  r.runner.deliver(down('issued', issuedBody(JOB)));
  t.same(await outcome, { outcome: 'issued', job: JOB }, 'no visible failure');
  t.same(r.station.moves, ['feed', 'eject'], 'the one card went to the gate');
});

void t.test('silent after the card and the customer gave up: nothing is read for nobody', async (t) => {
  const r = await readyRig({ answerTimeoutMs: 5_000, requestTimeoutMs: 5_000 });
  const outcome = r.runner.request(APP, CODE);
  await silentAfterCard(t, r);
  t.match(await outcome, { outcome: 'timeout' }, 'the customer timed out meanwhile');

  const before = r.link.sent.length;
  r.runner.deliver(insertCard(2, false));
  await r.runner.idle();
  t.same(r.link.sent.slice(before), [{ type: 'card', body: { job: JOB, attempt: 2, error: { code: 'no-card' } } }], 'refused: no customer');
  t.ok(r.logger.lines.some((l) => l.includes('"reason":"no-customer"')), 'logged with its reason');
  t.same(r.station.moves, ['feed'], 'the card is not read again nor moved yet');
  r.runner.deliver(down('failed', { job: JOB, reason: 'no-valid-card' }));
  await r.runner.idle();
  t.same(r.station.moves, ['feed', 'capture'], 'the center released the job: the card goes to the reject bin, never the gate');
});

void t.test('a card at the station that this process did not read for the job is still captured before a feed', async (t) => {
  const r = await readyRig();
  r.station.cardAt = true; // a leftover: no job of this process read it
  const outcome = r.runner.request(APP, CODE);
  await until(() => r.link.types().includes('request'));
  r.runner.deliver(insertCard());
  await r.runner.idle();
  t.same(r.station.moves, ['capture', 'feed'], 'captured, then a new card fed');
  r.runner.deliver(down('failed', { job: JOB, reason: 'voided' }));
  await r.runner.idle();
  t.match(await outcome, { outcome: 'failed' });
});

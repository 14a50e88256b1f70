// A reader registry pushed by the center (kiosk/handlers/registry.ts,
// docs/reader-auth.md "Updates"): verified before use, stale and forged ones
// refused and logged, the reader authenticated again — and never in the
// middle of a customer.
import t from 'tap';
import type { KioskOutcome } from '../../../kiosk/runner-context.js';
import type { RegistryReader } from '../../../wire/registry.js';
import { CODE, JOB, READER, down, insertCard, issuedBody, readerEntry, readyRig, registry, rig, script, until, type Rig } from './fakes.js';

const APP = 'app-1';
const keypadEntry: RegistryReader = { id: 'keypad-1', kind: 'keypad', vendor: '04d9', product: 'USB keypad', serial: null, publicKey: null };
const push = (readers: RegistryReader[], version: number, secret?: Uint8Array): ReturnType<typeof down<'registry'>> => down('registry', registry(readers, version, secret));

function reports(r: Rig): unknown[] {
  return r.link.sent.filter((s) => s.type === 'reader-report').map((s) => s.body);
}

async function requested(r: Rig): Promise<{ outcome: Promise<KioskOutcome> }> {
  const outcome = r.runner.request(APP, CODE);
  await until(() => r.link.types().includes('request'));
  return { outcome };
}

void t.test('accepted: a newer registry that still lists the reader → authenticated again, reported, still ready', async (t) => {
  const r = await readyRig();
  r.runner.deliver(push([readerEntry(), keypadEntry], 2));
  await r.runner.idle();
  t.same(reports(r), [
    { reader: READER, status: 'authenticated' },
    { reader: READER, status: 'authenticated' },
  ]);
  t.equal(r.runner.state(), 'ready');
  t.match(r.logger.lines.join('\n'), /registry update.*"version":2/);
  // The same version again (QoS 1 may deliver twice) is accepted too.
  r.runner.deliver(push([readerEntry(), keypadEntry], 2));
  await r.runner.idle();
  t.equal(reports(r).length, 3);
  t.equal(r.runner.state(), 'ready');
});

void t.test('reader dropped: refused, reported as unknown-reader, no further customers', async (t) => {
  const r = await readyRig();
  r.runner.deliver(push([keypadEntry], 2));
  await r.runner.idle();
  t.same(r.link.last('reader-report'), { reader: READER, status: 'refused', reason: 'unknown-reader' });
  t.equal(r.runner.state(), 'reader-refused');
  t.match(r.events.at(-1), { type: 'reader-refused', reader: READER, reason: 'unknown-reader' });
  t.same(await r.runner.request(APP, CODE), { outcome: 'refused', reason: 'reader-refused' });
  t.notOk(r.link.types().includes('request'), 'the center is not asked');
  // Re-approved later (with its key again): ready again.
  r.runner.deliver(push([readerEntry()], 3));
  await r.runner.idle();
  t.same(r.link.last('reader-report'), { reader: READER, status: 'authenticated' });
  t.equal(r.runner.state(), 'ready');
});

void t.test('reader descriptor changed at the center: identity-mismatch', async (t) => {
  const r = await readyRig();
  r.runner.deliver(push([readerEntry({ serial: 'SN-OTHER', publicKey: null })], 2));
  await r.runner.idle();
  t.same(r.link.last('reader-report'), { reader: READER, status: 'refused', reason: 'identity-mismatch' });
  t.equal(r.runner.state(), 'reader-refused');
});

void t.test('stale: older than the registry held → refused as stale, logged, nothing changes', async (t) => {
  const r = rig();
  await r.runner.sessionOpened();
  r.runner.deliver(down('welcome', registry(undefined, 5)));
  await r.runner.ready;
  r.runner.deliver(push([], 4));
  await r.runner.idle();
  t.match(r.logger.lines.join('\n'), /registry refused.*"via":"push".*"reason":"stale".*"version":4.*"held":5/);
  t.equal(reports(r).length, 1, 'no new report');
  t.equal(r.runner.state(), 'ready', 'the reader stays approved under the held registry');
  // A push newer than the held one that drops the reader still applies, and after it the stale one stays refused.
  r.runner.deliver(push([], 6));
  r.runner.deliver(push([readerEntry()], 5));
  await r.runner.idle();
  t.equal(r.runner.state(), 'reader-refused');
  t.same(r.link.last('reader-report'), { reader: READER, status: 'refused', reason: 'unknown-reader' });
});

void t.test('bad signature or another kiosk’s registry: refused, logged, nothing changes', async (t) => {
  const r = await readyRig();
  r.runner.deliver(push([], 9, new Uint8Array(32).fill(0x66)));
  const other = registry([], 9);
  const text = Buffer.from(other.registry.r, 'base64').toString().replace('"version":9', '"version":10');
  r.runner.deliver(down('registry', { registry: { r: Buffer.from(text).toString('base64'), s: other.registry.s } }));
  await r.runner.idle();
  const log = r.logger.lines.join('\n');
  t.equal((log.match(/registry refused.*"reason":"bad-signature"/g) ?? []).length, 2);
  t.equal(reports(r).length, 1);
  t.equal(r.runner.state(), 'ready');
  // The forged version 9/10 was not taken as the held version: a genuine 2 still applies.
  r.runner.deliver(push([], 2));
  await r.runner.idle();
  t.equal(r.runner.state(), 'reader-refused');
});

void t.test('during a card session: applied only after the customer is done, then no further customers', async (t) => {
  const r = await readyRig();
  const { outcome } = await requested(r);
  r.runner.deliver(insertCard());
  r.runner.deliver(push([], 2));
  await r.runner.idle();
  t.match(r.logger.lines.join('\n'), /registry update deferred.*"version":2/);
  t.equal(reports(r).length, 1, 'nothing decided mid-session');
  t.equal(r.runner.state(), 'card');
  r.runner.deliver(script());
  await r.runner.idle();
  t.same(r.link.last('result').responses.length, 4, 'the script ran with the reader still in use');
  r.runner.deliver(down('issued', issuedBody(JOB)));
  t.same(await outcome, { outcome: 'issued', job: JOB });
  await r.runner.idle();
  t.same(r.station.moves, ['feed', 'eject'], 'the customer got the card');
  t.same(r.link.last('reader-report'), { reader: READER, status: 'refused', reason: 'unknown-reader' });
  t.equal(r.runner.state(), 'reader-refused');
  t.same(await r.runner.request(APP, CODE), { outcome: 'refused', reason: 'reader-refused' });
});

void t.test('while a request waits for the center: deferred until its answer; the next customer waits for the decision', async (t) => {
  const r = await readyRig();
  const { outcome } = await requested(r);
  r.runner.deliver(push([readerEntry(), keypadEntry], 2));
  await r.runner.idle();
  t.equal(reports(r).length, 1);
  r.runner.deliver(down('request-refused', { reason: 'bad-credentials', attemptsLeft: 2 }));
  t.match(await outcome, { outcome: 'refused', reason: 'bad-credentials' });
  const next = r.runner.request(APP, CODE);
  await r.runner.idle();
  t.equal(reports(r).length, 2, 'authenticated again before the next request');
  await until(() => r.link.types().filter((x) => x === 'request').length === 2);
  r.runner.deliver(down('request-refused', { reason: 'bad-credentials', attemptsLeft: 1 }));
  t.match(await next, { outcome: 'refused', reason: 'bad-credentials' });
  t.equal(r.runner.state(), 'ready');
});

void t.test('a welcome supersedes a deferred push', async (t) => {
  const r = await readyRig();
  const { outcome } = await requested(r);
  r.runner.deliver(insertCard());
  r.runner.deliver(push([], 2));
  r.runner.deliver(down('welcome', registry(undefined, 3)));
  await r.runner.idle();
  r.runner.deliver(script());
  r.runner.deliver(down('issued', issuedBody(JOB)));
  t.same(await outcome, { outcome: 'issued', job: JOB });
  await r.runner.idle();
  t.equal(r.runner.state(), 'ready', 'the dropped-reader push was superseded by the welcome (version 3)');
  t.same(r.link.last('reader-report'), { reader: READER, status: 'authenticated' });
});

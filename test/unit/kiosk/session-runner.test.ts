/**
 * The session runner (DESIGN §3 from the kiosk's side), driven through a
 * fake link and a fake station whose card answers with canned responses:
 * the happy sequence, refusals of the reader and of the kiosk, a refused
 * card, scripts that stop or run through, transport failures, scripts for
 * another job, recovery, timeouts, and what reaches the logs.
 */
import t from 'tap';
import type { KioskOutcome } from '../../../kiosk/runner-context.js';
import { hex, toHex } from '../../../card/bytes.js';
import { TransportError } from '../../../hardware/card-transport.js';
import {
  ATR,
  CODE,
  FakeReader,
  IU_DATA,
  issuedBody,
  JOB,
  JOB2,
  NOW,
  READER,
  SCRIPT,
  SCRIPT_RESPONSES,
  cardAnswers,
  down,
  insertCard,
  readyRig,
  registry,
  rig,
  script,
  scriptAnswers,
  until,
  type Rig,
  readerEntry,
} from './fakes.js';

const APP = 'app-1';

/** Runs a customer's request up to the point the center has it (boxed: an async function would flatten the promise). */
async function requested(r: Rig): Promise<{ outcome: Promise<KioskOutcome> }> {
  const outcome = r.runner.request(APP, CODE);
  await until(() => r.link.types().includes('request'));
  return { outcome };
}

void t.test('happy path: hello, welcome, reader auth, request, card, script, result, issued, eject', async (t) => {
  const r = rig();
  await r.runner.sessionOpened();
  t.same(r.link.sent[0], { type: 'hello', body: { agent: 'cardline-kiosk/test', readers: [{ id: READER, kind: 'sim' }], card: { present: false } } });
  t.equal(r.runner.state(), 'awaiting-welcome');

  r.runner.deliver(down('welcome', registry()));
  await r.runner.ready;
  t.same(r.link.last('reader-report'), { reader: READER, status: 'authenticated' });
  t.equal(r.runner.state(), 'ready');

  const { outcome: outcome } = await requested(r);
  t.same(r.link.last('request'), { application: APP, code: CODE });
  t.equal(r.runner.state(), 'requesting');

  r.runner.deliver(insertCard());
  await r.runner.idle();
  t.same(r.station.moves, ['feed']);
  const [select, iu] = r.transport.seen;
  t.equal(select, '00A4040008A00000015100000000', 'SELECT the security domain by AID');
  t.equal(iu, '80503000080102030405060708' + '00', 'INITIALIZE UPDATE with the center challenge and KVN');
  t.same(r.link.last('card'), { job: JOB, attempt: 1, atr: toHex(ATR), iu: toHex(IU_DATA) });
  t.ok(r.transport.powered, 'the card stays powered for the script');

  r.runner.deliver(script());
  await r.runner.idle();
  t.same(r.transport.seen.slice(2), SCRIPT, 'every APDU relayed, in order');
  t.same(r.link.last('result'), { job: JOB, attempt: 1, responses: SCRIPT_RESPONSES });
  t.notOk(r.transport.powered, 'powered off after the result');
  t.equal(r.runner.state(), 'verifying');

  r.runner.deliver(down('issued', issuedBody(JOB)));
  t.same(await outcome, { outcome: 'issued', job: JOB });
  t.same(r.station.moves, ['feed', 'eject']);
  t.same(r.link.last('card-done'), { job: JOB, action: 'ejected', ok: true });
  t.same(r.link.types(), ['hello', 'reader-report', 'request', 'card', 'result', 'card-done']);
  t.equal(r.runner.state(), 'ready', 'back to the start for the next customer');

  const types = r.events.map((e) => e.type);
  t.same(types, ['connected', 'session-open', 'reader-authenticated', 'request-sent', 'insert-card', 'card-read', 'card-authenticated', 'writing', 'writing', 'writing', 'writing', 'verifying', 'issued']);
  t.same(
    r.events.filter((e) => e.type === 'writing'),
    [1, 2, 3, 4].map((index) => ({ type: 'writing', job: JOB, index, total: 4 })),
  );
});

void t.test('APDU and response buffers are zeroized after the result is sent', async (t) => {
  const r = await readyRig();
  const { outcome: outcome } = await requested(r);
  r.runner.deliver(insertCard());
  r.runner.deliver(script());
  await r.runner.idle();
  const scriptCommands = r.transport.commands.slice(2);
  t.equal(scriptCommands.length, 4);
  t.ok(scriptCommands.every((b) => b.every((x) => x === 0)), 'command buffers zeroed');
  t.ok(r.transport.returned.every((b) => b.every((x) => x === 0)), 'response buffers zeroed (IU included)');
  r.runner.deliver(down('issued', issuedBody(JOB)));
  await outcome;
});

void t.test('logs and events of the happy path carry no APDU, response, IU, ATR or code', async (t) => {
  const r = await readyRig();
  const { outcome: outcome } = await requested(r);
  r.runner.deliver(insertCard());
  r.runner.deliver(script());
  r.runner.deliver(down('issued', issuedBody(JOB)));
  await outcome;
  const logs = r.logger.lines.join('');
  const screen = JSON.stringify(r.events);
  t.ok(r.logger.lines.length >= 5, `${r.logger.lines.length} log lines written`);
  const secrets = [CODE, ...SCRIPT, ...SCRIPT_RESPONSES.filter((x) => x.length > 4), toHex(IU_DATA), toHex(ATR), '0102030405060708'];
  for (const s of secrets) {
    for (const text of [logs, screen]) {
      t.notOk(text.toUpperCase().includes(s.toUpperCase()), `${s.slice(0, 6)}… absent`);
    }
  }
});

void t.test('reader refused: unknown reader ID → reported, ready rejects, requests refused locally', async (t) => {
  const r = rig();
  await r.runner.sessionOpened();
  r.runner.deliver(down('welcome', registry([readerEntry({ id: 'another-reader', publicKey: toHex(new Uint8Array(32)) })])));
  await t.rejects(r.runner.ready, { code: 'READER_REFUSED' });
  t.same(r.link.last('reader-report'), { reader: READER, status: 'refused', reason: 'unknown-reader' });
  t.equal(r.runner.state(), 'reader-refused');
  t.same(await r.runner.request(APP, CODE), { outcome: 'refused', reason: 'reader-refused' });
  t.notOk(r.link.types().includes('request'), 'nothing asked of the center');
  t.match(r.events, [{ type: 'connected' }, { type: 'session-open' }, { type: 'reader-refused', reader: READER, reason: 'unknown-reader' }, { type: 'request-refused', local: true }]);
});

void t.test('a refused (or not yet authenticated) reader is never used, even if the center asks', async (t) => {
  const r = rig();
  await r.runner.sessionOpened();
  r.runner.deliver(insertCard(1, false));
  await r.runner.idle();
  r.runner.deliver(down('welcome', registry([])));
  await t.rejects(r.runner.ready, { code: 'READER_REFUSED' });
  r.runner.deliver(insertCard(1, false));
  r.runner.deliver(script());
  await r.runner.idle();
  t.same(r.station.moves, []);
  t.same(r.transport.seen, []);
  t.same(r.link.types(), ['hello', 'reader-report']);
  t.equal(r.logger.lines.filter((l) => /wire refused.*reader-not-authenticated.*insert-card/.test(l)).length, 2);
  t.equal(r.logger.lines.filter((l) => /wire refused.*wrong-job.*script/.test(l)).length, 1, 'no job was started for the script');
});

void t.test('reader refused: bad signature, cannot sign, wrong kind, identity mismatch, registry not from the center', async (t) => {
  const cases: { name: string; welcome: Parameters<typeof down<'welcome'>>[1]; reader?: FakeReader; reason: string }[] = [
    { name: 'signed with another key', welcome: registry(), reader: new FakeReader(READER, new Uint8Array(32).fill(0x55)), reason: 'bad-signature' },
    { name: 'keyed entry, reader cannot sign', welcome: registry(), reader: new FakeReader(READER, null), reason: 'cannot-sign' },
    { name: 'kind differs', welcome: registry([readerEntry({ kind: 'pcsc', publicKey: null })]), reason: 'kind-mismatch' },
    { name: 'keyless entry, other serial', welcome: registry([readerEntry({ serial: 'other', publicKey: null })]), reason: 'identity-mismatch' },
    { name: 'registry signature broken', welcome: { registry: { ...registry().registry, s: registry([]).registry.s } }, reason: 'no-registry' },
  ];
  for (const c of cases) {
    const r = rig(c.reader ? { reader: c.reader } : {});
    await r.runner.sessionOpened();
    r.runner.deliver(down('welcome', c.welcome));
    await t.rejects(r.runner.ready, { code: 'READER_REFUSED' }, c.name);
    t.same(r.link.last('reader-report'), { reader: READER, status: 'refused', reason: c.reason }, c.name);
    t.equal((await r.runner.request(APP, CODE)).outcome, 'refused', c.name);
  }
});

void t.test('an older registry than one already accepted is refused', async (t) => {
  const r = rig();
  await r.runner.sessionOpened();
  r.runner.deliver(down('welcome', registry(undefined, 5)));
  await r.runner.ready;
  await r.runner.sessionOpened();
  r.runner.deliver(down('welcome', registry(undefined, 4)));
  await r.runner.idle();
  t.same(r.link.last('reader-report'), { reader: READER, status: 'refused', reason: 'no-registry' });
  t.match(r.logger.lines.join(''), /registry refused.*"reason":"stale"/);
});

void t.test('S310 refused: shown, ready rejects, customers refused locally with the reason', async (t) => {
  const r = rig();
  await r.runner.sessionOpened();
  r.runner.deliver(down('refused', { reason: 'kiosk-revoked', message: 'This kiosk is out of service.' }));
  await t.rejects(r.runner.ready, { code: 'REFUSED' });
  t.equal(r.runner.state(), 'refused');
  t.same(await r.runner.request(APP, CODE), { outcome: 'refused', reason: 'kiosk-revoked' });
  t.match(r.events, [{}, {}, { type: 'refused', reason: 'kiosk-revoked', message: 'This kiosk is out of service.' }]);
  // Re-enabled: the next session's welcome lifts the refusal.
  await r.runner.sessionOpened();
  r.runner.deliver(down('welcome', registry()));
  await r.runner.idle();
  t.equal(r.runner.state(), 'ready');
});

void t.test('request-refused: shown with attempts left, back to the start', async (t) => {
  const r = await readyRig();
  const { outcome: outcome } = await requested(r);
  r.runner.deliver(down('request-refused', { reason: 'bad-credentials', attemptsLeft: 2 }));
  t.same(await outcome, { outcome: 'refused', reason: 'bad-credentials' });
  t.equal(r.runner.state(), 'ready');
  t.match(r.events.at(-1), { type: 'request-refused', reason: 'bad-credentials', attemptsLeft: 2 });
  t.same(r.station.moves, [], 'no card moved');
});

void t.test('card-refused: the card is captured, and the next insert-card feeds a new one', async (t) => {
  const r = await readyRig();
  const { outcome: outcome } = await requested(r);
  r.runner.deliver(insertCard(1));
  r.runner.deliver(down('card-refused', { job: JOB, attempt: 1, reason: 'card-authentication' }));
  await r.runner.idle();
  t.same(r.station.moves, ['feed', 'capture']);
  t.same(r.link.last('card-done'), { job: JOB, action: 'captured', ok: true });
  t.match(r.events.slice(-2), [{ type: 'card-refused', reason: 'card-authentication' }, { type: 'card-captured', ok: true }]);

  r.runner.deliver(insertCard(2));
  r.runner.deliver(script({ attempt: 2 }));
  r.runner.deliver(down('issued', issuedBody(JOB)));
  t.same(await outcome, { outcome: 'issued', job: JOB });
  t.same(r.station.moves, ['feed', 'capture', 'feed', 'eject']);
  t.same(
    r.link.sent.filter((s) => s.type === 'card').map((s) => (s.body as { attempt: number }).attempt),
    [1, 2],
  );
});

void t.test('write script: stops at the first status other than 9000 and returns that response', async (t) => {
  const r = await readyRig({ respond: cardAnswers(scriptAnswers((i) => (i === 1 ? hex('6A80') : undefined))) });
  const { outcome: outcome } = await requested(r);
  r.runner.deliver(insertCard());
  r.runner.deliver(script());
  await r.runner.idle();
  t.equal(r.transport.commands.length, 2 + 2, 'SELECT, IU, then two script APDUs only');
  t.same(r.link.last('result'), { job: JOB, attempt: 1, responses: ['9000', '6A80'], error: { index: 1, code: 'status' } });
  t.match(r.logger.lines.join(''), /"sw":"6A80"/);
  r.runner.deliver(down('failed', { job: JOB, reason: 'verification' }));
  t.same(await outcome, { outcome: 'failed', job: JOB, reason: 'verification' });
  t.same(r.station.moves, ['feed', 'capture'], 'a failed card is captured, never ejected');
  t.same(r.link.last('card-done'), { job: JOB, action: 'captured', ok: true });
});

void t.test('inspect script (stop never): runs through failures', async (t) => {
  const r = await readyRig({ respond: cardAnswers(scriptAnswers((i) => (i === 1 ? hex('6A88') : undefined))) });
  const { outcome: outcome } = await requested(r);
  r.runner.deliver(insertCard());
  r.runner.deliver(script({ kind: 'inspect', stop: 'never' }));
  await r.runner.idle();
  t.equal(r.transport.commands.length, 2 + 4);
  t.same(r.link.last('result'), { job: JOB, attempt: 1, responses: ['9000', '6A88', SCRIPT_RESPONSES[2], SCRIPT_RESPONSES[3]] });
  r.runner.deliver(down('issued', issuedBody(JOB)));
  await outcome;
});

void t.test('a transport error mid-script stops it with result.error', async (t) => {
  const errors = [
    [new TransportError('CARD_REMOVED', 'pulled'), 'card-removed'],
    [new TransportError('TIMEOUT', 'slow'), 'timeout'],
    [new TransportError('IO', 'gone'), 'transport'],
  ] as const;
  for (const [error, code] of errors) {
    const r = await readyRig({ respond: cardAnswers(scriptAnswers((i) => (i === 2 ? error : undefined))) });
    const { outcome: outcome } = await requested(r);
    r.runner.deliver(insertCard());
    r.runner.deliver(script());
    await r.runner.idle();
    t.same(r.link.last('result'), { job: JOB, attempt: 1, responses: SCRIPT_RESPONSES.slice(0, 2), error: { index: 2, code } }, code);
    r.runner.deliver(down('failed', { job: JOB, reason: 'card-missing' }));
    await outcome;
  }
});

void t.test('a script for another job or attempt is refused, logged, and never touches the card', async (t) => {
  const r = await readyRig();
  const { outcome: outcome } = await requested(r);
  r.runner.deliver(insertCard());
  await r.runner.idle();
  const before = r.transport.commands.length;
  r.runner.deliver(script({ job: JOB2 }));
  r.runner.deliver(script({ attempt: 2 }));
  await r.runner.idle();
  t.equal(r.transport.commands.length, before);
  t.notOk(r.link.types().includes('result'));
  const refusals = r.logger.lines.filter((l) => l.includes('wire refused'));
  t.equal(refusals.length, 2);
  t.match(refusals[0], /"reason":"wrong-job","type":"script"/);
  r.runner.deliver(script());
  r.runner.deliver(down('issued', issuedBody(JOB)));
  t.equal((await outcome).outcome, 'issued', 'the right script still runs afterwards');
});

void t.test('a late script is not started', async (t) => {
  const r = await readyRig();
  const { outcome: outcome } = await requested(r);
  r.runner.deliver(insertCard());
  r.runner.deliver(script({}));
  await r.runner.idle();
  const ran = r.transport.commands.length;
  r.clock.advance(60_000);
  r.runner.deliver(insertCard(2));
  r.runner.deliver({ ...script({ attempt: 2 }), deadline: NOW + 1000 });
  await r.runner.idle();
  t.equal(r.transport.commands.length, ran + 2, 'only SELECT and IU of attempt 2');
  t.same(r.link.last('result'), { job: JOB, attempt: 2, responses: [], error: { index: 0, code: 'late' } });
  r.runner.deliver(down('failed', { job: JOB, reason: 'attempts-exhausted' }));
  await outcome;
});

void t.test('hopper empty → card error; recover without a card → no-card; a card left at the station is captured before feeding', async (t) => {
  const empty = await readyRig({ hopper: 0 });
  const { outcome: o1 } = await requested(empty);
  empty.runner.deliver(insertCard());
  await empty.runner.idle();
  t.same(empty.link.last('card'), { job: JOB, attempt: 1, error: { code: 'hopper-empty' } });
  t.ok(empty.events.some((e) => e.type === 'error' && e.code === 'hopper-empty'), 'the screen says the hopper is empty');
  empty.runner.deliver(down('failed', { job: JOB, reason: 'no-valid-card' }));
  t.same(await o1, { outcome: 'failed', job: JOB, reason: 'no-valid-card' });
  t.same(empty.link.last('card-done'), { job: JOB, action: 'captured', ok: false, error: 'no-card' });

  const none = await readyRig();
  none.runner.deliver(insertCard(1, true));
  await none.runner.idle();
  t.same(none.link.last('card'), { job: JOB, attempt: 1, error: { code: 'no-card' } });

  const leftover = await readyRig();
  leftover.station.cardAt = true;
  await requested(leftover);
  leftover.runner.deliver(insertCard(1, false));
  await leftover.runner.idle();
  t.same(leftover.station.moves, ['capture', 'feed']);
  t.same(leftover.link.last('card'), { job: JOB, attempt: 1, atr: toHex(ATR), iu: toHex(IU_DATA) });
});

void t.test('a plain PC/SC reader: a card already in the slot is the customer\'s, not captured', async (t) => {
  // The customer inserted the card before typing the code (found under load in the PC/SC e2e test:
  // the kiosk tried to capture it, which a plain reader cannot, and refused the customer's card).
  const r = rig({ reader: new FakeReader(READER, null, 'pcsc') });
  await r.runner.sessionOpened();
  r.runner.deliver(down('welcome', registry([readerEntry({ kind: 'pcsc', publicKey: null })])));
  await r.runner.ready;
  r.station.cardAt = true;
  await requested(r);
  r.runner.deliver(insertCard(1, false));
  await r.runner.idle();
  t.same(r.station.moves, ['feed'], 'fed (the card in the slot counts), never captured');
  t.same(r.link.last('card'), { job: JOB, attempt: 1, atr: toHex(ATR), iu: toHex(IU_DATA) }, 'the card is read and reported');
});

void t.test('card errors at SELECT / INITIALIZE UPDATE are reported with their SW', async (t) => {
  const r = await readyRig({ respond: (apdu) => (apdu[1] === 0xa4 ? hex('6A82') : hex('9000')) });
  await requested(r);
  r.runner.deliver(insertCard());
  await r.runner.idle();
  t.same(r.link.last('card'), { job: JOB, attempt: 1, atr: toHex(ATR), error: { code: 'status', sw: 0x6a82 } });
  const r2 = await readyRig({ respond: cardAnswers(() => hex('9000')) });
  r2.transport.respond = (apdu) => (apdu[1] === 0xa4 ? hex('9000') : apdu[1] === 0x50 ? hex('6A88') : hex('9000'));
  await requested(r2);
  r2.runner.deliver(insertCard());
  await r2.runner.idle();
  t.same(r2.link.last('card'), { job: JOB, attempt: 1, atr: toHex(ATR), error: { code: 'status', sw: 0x6a88 } });
});

void t.test('recovery driven by the center runs first; a request waits until it is done', async (t) => {
  const r = rig();
  r.station.cardAt = true;
  await r.runner.sessionOpened();
  t.same(r.link.last('hello').card, { present: true }, 'hello says a card is at the station');
  r.runner.deliver(down('welcome', registry()));
  r.runner.deliver(insertCard(3, true, JOB2));
  await r.runner.idle();
  t.same(r.station.moves, [], 'recover: the card at the station is used, none fed');
  t.same(r.link.last('card'), { job: JOB2, attempt: 3, atr: toHex(ATR), iu: toHex(IU_DATA) });

  const outcome = r.runner.request(APP, CODE);
  await new Promise((res) => setImmediate(res));
  t.notOk(r.link.types().includes('request'), 'the customer waits for the recovery');
  r.runner.deliver(down('failed', { job: JOB2, reason: 'voided' }));
  await until(() => r.link.types().includes('request'));
  t.same(r.station.moves, ['capture']);
  r.runner.deliver(insertCard());
  r.runner.deliver(script());
  r.runner.deliver(down('issued', issuedBody(JOB)));
  t.same(await outcome, { outcome: 'issued', job: JOB });
});

void t.test('issued for an unknown job (after a restart) is accepted; for another job it is refused', async (t) => {
  const r = await readyRig();
  r.station.cardAt = true;
  r.runner.deliver(down('issued', issuedBody(JOB2)));
  await r.runner.idle();
  t.same(r.station.moves, ['eject']);
  t.same(r.link.last('card-done'), { job: JOB2, action: 'ejected', ok: true });

  const { outcome: outcome } = await requested(r);
  r.runner.deliver(insertCard());
  r.runner.deliver(down('issued', issuedBody(JOB2)));
  r.runner.deliver(down('failed', { job: JOB2, reason: 'internal' }));
  await r.runner.idle();
  t.same(r.station.moves, ['eject', 'feed'], 'nothing moved for the other job');
  t.equal(r.logger.lines.filter((l) => /wire refused.*wrong-job/.test(l)).length, 2);
  r.runner.deliver(script());
  r.runner.deliver(down('issued', issuedBody(JOB)));
  await outcome;
});

void t.test('timeouts: a silent center ends the request; a second customer is refused while one is served', async (t) => {
  const r = await readyRig({ requestTimeoutMs: 5000 });
  const { outcome: outcome } = await requested(r);
  t.same(await r.runner.request(APP, CODE), { outcome: 'refused', reason: 'busy' });
  r.clock.advance(4000);
  await new Promise((res) => setImmediate(res));
  r.runner.deliver(insertCard());
  await r.runner.idle();
  r.clock.advance(4000);
  await new Promise((res) => setImmediate(res));
  let settled = false;
  void outcome.then(() => (settled = true));
  await new Promise((res) => setImmediate(res));
  t.notOk(settled, 'the card exchange reset the timeout');
  r.clock.advance(1001);
  t.same(await outcome, { outcome: 'timeout', reason: 'center-silent' });
  t.match(r.events.at(-1), { type: 'error', code: 'timeout' });
});

void t.test('no session: a request waits for ready, then times out as not-ready; link down → offline', async (t) => {
  const r = rig({ requestTimeoutMs: 3000 });
  const outcome = r.runner.request(APP, CODE);
  await new Promise((res) => setImmediate(res));
  r.clock.advance(3000);
  t.same(await outcome, { outcome: 'timeout', reason: 'not-ready' });

  const r2 = await readyRig();
  r2.link.down = true;
  t.same(await r2.runner.request(APP, CODE), { outcome: 'failed', reason: 'offline' });
  t.equal(r2.runner.state(), 'ready');
  r2.runner.linkDown();
  t.equal(r2.runner.state(), 'offline');
});

void t.test('customer input is checked before anything is sent', async (t) => {
  const r = await readyRig();
  t.same(await r.runner.request('bad app/id', CODE), { outcome: 'refused', reason: 'application-invalid' });
  t.same(await r.runner.request(APP, 'x'), { outcome: 'refused', reason: 'code-invalid' });
  t.notOk(r.link.types().includes('request'));
});

void t.test('stop: a waiting customer gets failed/stopped', async (t) => {
  const r = await readyRig();
  const { outcome: outcome } = await requested(r);
  await r.runner.stop();
  t.same(await outcome, { outcome: 'failed', reason: 'stopped' });
  t.equal(r.runner.state(), 'stopped');
  t.same(await r.runner.request(APP, CODE), { outcome: 'refused', reason: 'stopped' });
});

void t.test('issued naming another card: the card at the station is captured, never ejected', async (t) => {
  const r = await readyRig();
  const { outcome } = await requested(r);
  r.runner.deliver(insertCard());
  r.runner.deliver(script());
  await r.runner.idle();
  r.runner.deliver(down('issued', { ...issuedBody(JOB), card: 'FFEEDDCCBBAA99887766' }));
  t.same(await outcome, { outcome: 'failed', job: JOB, reason: 'wrong-card' });
  t.same(r.station.moves, ['feed', 'capture'], 'captured, not ejected');
  t.same(r.link.last('card-done'), { job: JOB, action: 'captured', ok: false, error: 'wrong-card' });
});

void t.test('issued re-sent after a restart: the card is read again and ejected only if it is the one', async (t) => {
  const r = await readyRig();
  r.station.cardAt = true; // a card left at the station by an earlier process
  r.runner.deliver(down('issued', issuedBody(JOB)));
  await r.runner.idle();
  t.same(r.transport.seen.slice(0, 2), ['00A4040008A00000015100000000', r.transport.seen[1]], 'SELECT ISD, then INITIALIZE UPDATE to read its KDD');
  t.match(r.transport.seen[1], /^80500000/, "INITIALIZE UPDATE, any key version");
  t.same(r.station.moves, ['eject']);
  t.same(r.link.last('card-done'), { job: JOB, action: 'ejected', ok: true });
});

void t.test('a new card is never fed without a waiting customer; the kiosk says no-card and logs the refusal', async (t) => {
  const r = await readyRig();
  r.runner.deliver(insertCard());
  await r.runner.idle();
  t.same(r.station.moves, [], 'nothing fed');
  t.same(r.link.last('card'), { job: JOB, attempt: 1, error: { code: 'no-card' } });
  t.match(r.logger.lines.join(''), /"msg":"wire refused","reason":"no-customer","type":"insert-card"/);
  t.equal(r.runner.state(), 'ready', 'still free for the next customer');
});

void t.test('failed for a job the kiosk holds (a released reservation) frees the kiosk', async (t) => {
  const r = await readyRig();
  const { outcome } = await requested(r);
  r.runner.deliver(insertCard());
  await r.runner.idle();
  r.runner.deliver(down('failed', { job: JOB, reason: 'voided' }));
  t.same(await outcome, { outcome: 'failed', job: JOB, reason: 'voided' });
  t.same(r.station.moves, ['feed', 'capture'], 'the fed card goes to the reject bin');
  t.equal(r.runner.state(), 'ready');
});

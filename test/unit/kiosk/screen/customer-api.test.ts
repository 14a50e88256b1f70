/**
 * The customer's API: the request validated with the wire's rules before
 * the agent sees it (400 with the field's code), one customer at a time
 * (409 busy), the outcome with the attempts left; the event stream (the
 * phase, KioskEvents, HID keys) and its cap; the page's settings.
 */
import t from 'tap';
import { checkRequest } from '../../../../kiosk/screen/request-check.js';
import { isScreenError } from '../../../../kiosk/screen/errors.js';
import { cardSourceOf } from '../../../../kiosk/screen/server.js';
import type { ReaderIdentity } from '../../../../hardware/station.js';
import { call, post, setup, SseClient, streamAttempt, turn } from './helpers.js';

const CODE = '73914682';

void t.test('checkRequest: the rules of wire/messages.ts requestSchema, each refusal with its code, never the value', (t) => {
  t.same(checkRequest({ application: 'DEMO-AB12-0001', code: CODE }), { application: 'DEMO-AB12-0001', code: CODE });
  for (const [body, code] of [
    [{ application: '', code: CODE }, 'application-invalid'],
    [{ application: '-APP', code: CODE }, 'application-invalid'],
    [{ application: 'A'.repeat(65), code: CODE }, 'application-invalid'],
    [{ application: 'APP 1', code: CODE }, 'application-invalid'],
    [{ code: CODE }, 'application-invalid'],
    [{ application: 'APP', code: '123' }, 'code-invalid'],
    [{ application: 'APP', code: '1'.repeat(33) }, 'code-invalid'],
    [{ application: 'APP', code: '1234-5678' }, 'code-invalid'],
    [{ application: 'APP', code: 12345678 }, 'code-invalid'],
    [{ application: 'APP', code: CODE, extra: 1 }, 'bad-json'],
  ] as const) {
    let error: unknown;
    try {
      checkRequest(body);
    } catch (e) {
      error = e;
    }
    t.ok(isScreenError(error, code), `${code}: ${JSON.stringify(Object.keys(body))}`);
    t.notMatch(error instanceof Error ? error.message : '', CODE, 'the message does not echo the value');
  }
  t.end();
});

void t.test('a request goes to the agent; the outcome comes back with the attempts left', async (t) => {
  const s = await setup(t);
  const pending = post(s, '/api/request', { application: 'APP-1', code: CODE });
  while (s.agent.requests.length === 0) await turn();
  t.same(s.agent.requests, [{ application: 'APP-1', code: CODE }]);
  s.feed.events({ type: 'request-sent' });
  s.feed.events({ type: 'request-refused', reason: 'bad-credentials', attemptsLeft: 2 });
  s.agent.settle({ outcome: 'refused', reason: 'bad-credentials' });
  const r = await pending;
  t.equal(r.status, 200);
  t.same(r.json, { outcome: 'refused', reason: 'bad-credentials', attemptsLeft: 2 });
  t.notMatch(s.logs.join(''), CODE, 'the code is not logged');
  t.match(s.logs.join(''), /"msg":"customer served","outcome":"refused","reason":"bad-credentials"/);
});

void t.test('a malformed ID or code is 400 and never reaches the agent', async (t) => {
  const s = await setup(t);
  const a = await post(s, '/api/request', { application: 'bad id', code: CODE });
  t.equal(a.status, 400);
  t.equal(a.json.error, 'application-invalid');
  const c = await post(s, '/api/request', { application: 'APP-1', code: '12' });
  t.equal(c.status, 400);
  t.equal(c.json.error, 'code-invalid');
  t.same(s.agent.requests, []);
});

void t.test('one customer at a time: 409 busy while a request runs, free again after', async (t) => {
  const s = await setup(t);
  const first = post(s, '/api/request', { application: 'APP-1', code: CODE });
  while (s.agent.requests.length === 0) await turn();
  const second = await post(s, '/api/request', { application: 'APP-2', code: CODE });
  t.equal(second.status, 409);
  t.equal(second.json.error, 'busy');
  s.agent.settle({ outcome: 'issued', job: 'j' });
  t.same((await first).json, { outcome: 'issued' }, 'the job ID is not the page’s business');
  const third = post(s, '/api/request', { application: 'APP-3', code: CODE });
  while (s.agent.requests.length < 2) await turn();
  s.agent.settle({ outcome: 'failed', reason: 'offline' });
  t.equal((await third).status, 200);
  t.same(s.agent.requests.map((r) => r.application), ['APP-1', 'APP-3']);
});

void t.test('the customer stream: the phase first, KioskEvents, HID keys (mapped), phase changes; heartbeats', async (t) => {
  const s = await setup(t, { config: { heartbeatMs: 1000, statePollMs: 500 } });
  const sse = await SseClient.open(s, '/api/events');
  t.equal(sse.status, 200);
  await sse.until(() => sse.of('state').length === 1, 'the first state');
  t.same(sse.of('state')[0], { phase: 'ready', ready: true });
  s.feed.events({ type: 'writing', job: 'j', index: 2, total: 5 });
  s.feed.key('7');
  s.feed.key('backspace');
  s.feed.key('.');
  s.feed.key('enter');
  await sse.until(() => sse.of('key').length === 3, 'three keys');
  t.same(sse.of('kiosk'), [{ type: 'writing', job: 'j', index: 2, total: 5 }]);
  t.same(sse.of('key'), [{ key: '7' }, { key: 'back' }, { key: 'enter' }], "'.' is dropped, backspace is 'back'");
  // The phase changes without an event: the poll sees it.
  s.agent.phase = 'offline';
  s.clock.advance(500);
  await sse.until(() => sse.of('state').length === 2, 'the phase change');
  t.same(sse.of('state')[1], { phase: 'offline', ready: false });
  s.clock.advance(1000);
  await sse.until(() => sse.comments >= 1, 'a heartbeat');
  // Exchanges and errors are the operator's, not the customer's.
  s.feed.exchange({ direction: 'up', type: 'hello', seq: 1, outcome: 'ok' });
  s.feed.events({ type: 'request-sent' });
  await sse.until(() => sse.of('kiosk').length === 2, 'the next event');
  t.same(sse.of('exchange'), []);
  t.same(sse.of('error'), []);
  sse.close();
});

void t.test('a cap on concurrent customer streams (4 by default): real streams up to it, the next 503 too-many-streams, a slot frees when one closes', async (t) => {
  const s = await setup(t);
  const open: SseClient[] = [];
  for (let i = 1; i <= 4; i++) {
    const c = await SseClient.open(s, '/api/events');
    t.equal(c.status, 200, `stream ${i} of 4`);
    await c.until(() => c.of('state').length === 1, `stream ${i} open`);
    open.push(c);
  }
  const fifth = await streamAttempt(s, '/api/events');
  t.equal(fifth.status, 503);
  t.equal(fifth.json.error, 'too-many-streams');
  t.match(s.logs.join(''), /"msg":"request refused","code":"too-many-streams","method":"GET","path":"\/api\/events"/);
  open[0]!.close();
  let d: SseClient | undefined;
  while (d === undefined || d.status !== 200) {
    d?.close();
    await turn();
    d = await SseClient.open(s, '/api/events');
  }
  await d.until(() => d.of('state').length === 1, 'd open');
  t.pass('a new stream once one closed');
  t.equal((await streamAttempt(s, '/api/events')).status, 503, 'and the cap holds again');
  for (const c of [...open, d]) c.close();
});

void t.test('the customer cap follows maxCustomerStreams', async (t) => {
  const s = await setup(t, { config: { maxCustomerStreams: 2 } });
  const a = await SseClient.open(s, '/api/events');
  const b = await SseClient.open(s, '/api/events');
  await a.until(() => a.of('state').length === 1, 'a open');
  await b.until(() => b.of('state').length === 1, 'b open');
  const c = await streamAttempt(s, '/api/events');
  t.equal(c.status, 503);
  t.equal(c.json.error, 'too-many-streams');
  a.close();
  b.close();
});

void t.test('the page settings: the timeouts, whether a HID keypad sends keys, where the card comes from', async (t) => {
  const s = await setup(t, { config: { idleMs: 5000, resultMs: 7000 } });
  t.same((await call(s, 'GET', '/api/config')).json, { idleMs: 5000, resultMs: 7000, keypad: false, cardSource: 'hopper' });
  const plain = await setup(t, { cardSource: 'customer' });
  t.match((await call(plain, 'GET', '/api/config')).json, { cardSource: 'customer' });
});

void t.test('a plain PC/SC reader: the customer inserts the card; every other station feeds it from its hopper', (t) => {
  t.equal(cardSourceOf({ identity: { kind: 'pcsc' } as ReaderIdentity }), 'customer');
  for (const kind of ['sim', 'dispenser'] as const) t.equal(cardSourceOf({ identity: { kind } as ReaderIdentity }), 'hopper', kind);
  t.end();
});

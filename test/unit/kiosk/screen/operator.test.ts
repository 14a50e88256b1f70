/**
 * The operator's side: the PIN gate (5 wrong → locked 5 minutes, 429, on a
 * fake clock; attempts one at a time), the session cookie (HttpOnly,
 * SameSite=Strict, in memory, 5 minutes idle), the stream's replay of the
 * last 100 exchanges and 20 errors, the status, and the stream closed when
 * its session ends. Without a PIN file the view is off.
 */
import t from 'tap';
import { FakeClock } from '../../../../common/clock.js';
import type { StationStatus } from '../../../../hardware/station.js';
import { isScreenError } from '../../../../kiosk/screen/errors.js';
import { PinGate } from '../../../../kiosk/screen/operator-pin.js';
import { OperatorSessions, sessionCookie, sessionToken } from '../../../../kiosk/screen/sessions.js';
import { call, PIN, post, READER, rejectionOf, setup, SseClient, streamAttempt, turn, type Setup } from './helpers.js';

void t.test('PinGate: 5 wrong PINs lock for 5 minutes; the right PIN resets the count', async (t) => {
  const clock = new FakeClock(0);
  const checked: string[] = [];
  const gate = new PinGate({ hash: 'h', clock, maxFailures: 5, lockMs: 300_000, check: (pin) => (checked.push(pin), Promise.resolve(pin === PIN)) });
  for (let i = 0; i < 4; i++) t.ok(isScreenError(await rejectionOf(gate.verify('000000')), 'bad-pin'));
  await gate.verify(PIN);
  for (let i = 0; i < 4; i++) t.ok(isScreenError(await rejectionOf(gate.verify('000000')), 'bad-pin'), 'the count started again');
  const fifth = await rejectionOf(gate.verify('000000'));
  t.ok(isScreenError(fifth, 'locked'), 'the 5th wrong PIN locks');
  t.equal((fifth as { retryAfterS?: number }).retryAfterS, 300);
  const before = checked.length;
  t.ok(isScreenError(await rejectionOf(gate.verify(PIN)), 'locked'), 'even the right PIN while locked');
  t.equal(checked.length, before, 'no hash work while locked');
  clock.advance(299_000);
  const late = await rejectionOf(gate.verify(PIN));
  t.ok(isScreenError(late, 'locked'));
  t.equal((late as { retryAfterS?: number }).retryAfterS, 1);
  clock.advance(1000);
  await gate.verify(PIN);
  t.pass('open again after 5 minutes');
});

void t.test('PinGate: malformed PINs count as wrong without hashing; parallel guesses cannot pass the count', async (t) => {
  const clock = new FakeClock(0);
  let hashed = 0;
  const gate = new PinGate({ hash: 'h', clock, maxFailures: 5, lockMs: 300_000, check: () => (hashed++, Promise.resolve(false)) });
  for (const pin of ['12345', '1234567890123', 'abcdef', 123456, undefined]) t.ok(isScreenError(await rejectionOf(gate.verify(pin)), pin === undefined ? 'locked' : 'bad-pin'));
  t.equal(hashed, 0);
  t.ok(gate.lockedFor() > 0);
  const clock2 = new FakeClock(0);
  const gate2 = new PinGate({ hash: 'h', clock: clock2, maxFailures: 5, lockMs: 300_000, check: () => Promise.resolve(false) });
  const results = await Promise.all(Array.from({ length: 20 }, () => rejectionOf(gate2.verify('111111'))));
  t.equal(results.filter((e) => isScreenError(e, 'bad-pin')).length, 4);
  t.equal(results.filter((e) => isScreenError(e, 'locked')).length, 16, 'the 5th locks and the 15 after it are refused');
});

void t.test('OperatorSessions: in memory, idle expiry, touch, end; cookie attributes', (t) => {
  const clock = new FakeClock(0);
  let n = 0;
  const sessions = new OperatorSessions(clock, (len) => new Uint8Array(len).fill(++n), 300_000);
  const a = sessions.create();
  t.match(a, /^[A-Za-z0-9_-]{43}$/, '32 random bytes');
  clock.advance(299_000);
  t.ok(sessions.check(a), 'alive, and touched');
  clock.advance(299_000);
  t.ok(sessions.check(a, false), 'alive: the idle time restarted at the last check');
  clock.advance(1000);
  t.notOk(sessions.check(a), 'expired after 5 minutes idle');
  const b = sessions.create();
  sessions.end(b);
  t.notOk(sessions.check(b), 'ended');
  t.notOk(sessions.check(undefined));
  t.notOk(sessions.check('x'.repeat(43)));
  t.equal(sessions.size, 0);
  const cookie = sessionCookie('tok');
  t.match(cookie, /^cl_op=tok; /);
  t.match(cookie, /HttpOnly/);
  t.match(cookie, /SameSite=Strict/);
  t.match(cookie, /Path=\//);
  t.notMatch(cookie, /Expires|Max-Age/, 'a browser-session cookie');
  t.match(sessionCookie('', { end: true }), /Max-Age=0/);
  t.equal(sessionToken('a=1; cl_op=abc; b=2'), 'abc');
  t.equal(sessionToken(undefined), undefined);
  t.end();
});

async function login(s: Setup, pin = PIN): Promise<{ status: number; cookie?: string; error?: unknown }> {
  const r = await post(s, '/api/operator/login', { pin });
  const set = r.headers['set-cookie']?.[0];
  return { status: r.status, ...(set ? { cookie: set.split(';')[0]! } : {}), error: r.json.error };
}

void t.test('login over HTTP: 401 bad-pin, then 429 locked with Retry-After; the PIN is never logged', async (t) => {
  const s = await setup(t);
  for (let i = 0; i < 4; i++) t.same(await login(s, '000000'), { status: 401, error: 'bad-pin' });
  const r = await post(s, '/api/operator/login', { pin: '000000' });
  t.equal(r.status, 429);
  t.equal(r.json.error, 'locked');
  t.equal(r.headers['retry-after'], '300');
  t.same(await login(s), { status: 429, error: 'locked' });
  s.clock.advance(300_000);
  const ok = await login(s);
  t.equal(ok.status, 200);
  t.match(ok.cookie, /^cl_op=[A-Za-z0-9_-]{43}$/);
  const logs = s.logs.join('');
  t.notMatch(logs, PIN);
  t.notMatch(logs, '000000');
  t.notMatch(logs, ok.cookie!.slice('cl_op='.length), 'no session token in the logs');
  t.match(logs, /"code":"bad-pin"/);
  t.match(logs, /"code":"locked"/);
});

void t.test('operator routes need a live session; it ends after 5 minutes idle, or at logout', async (t) => {
  const s = await setup(t);
  t.equal((await call(s, 'GET', '/api/operator/session')).json.error, 'unauthenticated');
  t.equal((await call(s, 'GET', '/api/operator/events')).status, 401);
  const { cookie } = await login(s);
  const get = (path: string) => call(s, 'GET', path, { headers: { Cookie: cookie! } });
  t.equal((await get('/api/operator/session')).status, 200);
  s.clock.advance(299_000);
  t.equal((await get('/api/operator/session')).status, 200, 'activity keeps it');
  s.clock.advance(300_000);
  t.equal((await get('/api/operator/session')).status, 401, 'expired');
  const again = (await login(s)).cookie!;
  const out = await post(s, '/api/operator/logout', {}, { Cookie: again });
  t.equal(out.status, 200);
  t.match(out.headers['set-cookie']?.[0], /Max-Age=0/);
  t.equal((await call(s, 'GET', '/api/operator/session', { headers: { Cookie: again } })).status, 401);
  // Logout is a write: our Origin only.
  const third = (await login(s)).cookie!;
  t.equal((await post(s, '/api/operator/logout', {}, { Cookie: third, Origin: 'http://evil.example' })).status, 403);
});

void t.test('the operator stream replays the last 100 exchanges and 20 errors, then the status, then live', async (t) => {
  const s = await setup(t);
  for (let seq = 1; seq <= 130; seq++) s.feed.exchange({ direction: seq % 2 ? 'up' : 'down', type: seq % 2 ? 'request' : 'request-refused', seq, outcome: 'ok' });
  for (let i = 0; i < 25; i++) s.feed.events({ type: 'error', code: `code-${i}` });
  s.feed.events({ type: 'reader-authenticated', reader: READER });
  s.feed.events({ type: 'connected' });
  const { cookie } = await login(s);
  const sse = await SseClient.open(s, '/api/operator/events', { Cookie: cookie! });
  await sse.until(() => sse.of('status').length === 1, 'the status');
  const xs = sse.of('exchange') as { seq: number }[];
  t.equal(xs.length, 100);
  t.same([xs[0]!.seq, xs[99]!.seq], [31, 130], 'the last 100, oldest first');
  const errs = sse.of('error') as { code: string; what: string }[];
  t.equal(errs.length, 20);
  t.same([errs[0]!.code, errs[19]!.code], ['code-5', 'code-24']);
  t.same(sse.of('status')[0], { phase: 'ready', link: 'up', reader: { id: READER, state: 'authenticated' }, hopper: { state: 'ok', remaining: 12 } });
  s.feed.exchange({ direction: 'down', type: 'insert-card', seq: 9, job: '0b1e2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d', outcome: 'ok' });
  s.feed.events({ type: 'failed', job: 'j', reason: 'verification' });
  await sse.until(() => sse.of('exchange').length === 101 && sse.of('error').length === 21, 'live records');
  t.match(sse.of('exchange')[100], { type: 'insert-card', job: '0b1e2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d', at: s.clock.now() });
  t.match(sse.of('error')[20], { code: 'verification', what: 'failed' });
  await sse.until(() => sse.of('status').length >= 2, 'a status after the event');
  sse.close();
});

void t.test('an expired session loses its stream at the next heartbeat; a station that cannot answer is unknown', async (t) => {
  const s = await setup(t, { config: { heartbeatMs: 60_000 }, station: () => Promise.reject(new Error('IO')) });
  const { cookie } = await login(s);
  const sse = await SseClient.open(s, '/api/operator/events', { Cookie: cookie! });
  await sse.until(() => sse.of('status').length === 1, 'the status');
  t.match(sse.of('status')[0], { hopper: { state: 'unknown' }, reader: { id: READER, state: 'unknown' }, link: 'down' });
  s.clock.advance(60_000);
  await sse.until(() => sse.comments >= 1, 'a heartbeat: the session is alive');
  t.notOk(sse.ended);
  s.clock.advance(240_000);
  await sse.until(() => sse.ended, 'the stream closed: 5 minutes without a request');
  t.pass('closed');
});

void t.test('without a PIN file the operator view is off', async (t) => {
  const s = await setup(t, { pin: false });
  const r = await post(s, '/api/operator/login', { pin: PIN });
  t.equal(r.status, 404);
  t.equal(r.json.error, 'operator-disabled');
  t.equal((await call(s, 'GET', '/api/operator/events')).json.error, 'operator-disabled');
  await turn();
});

void t.test('operator streams have their own slots: customer streams at their cap do not shut the operator out; the operator cap holds (503 too-many-streams)', async (t) => {
  const s = await setup(t, { config: { maxCustomerStreams: 2, maxOperatorStreams: 2 } });
  const customers = [await SseClient.open(s, '/api/events'), await SseClient.open(s, '/api/events')];
  for (const c of customers) await c.until(() => c.of('state').length === 1, 'a customer stream');
  t.equal((await streamAttempt(s, '/api/events')).json.error, 'too-many-streams', 'the customer streams are at their cap');
  const { cookie } = await login(s);
  const operators: SseClient[] = [];
  for (let i = 1; i <= 2; i++) {
    const o = await SseClient.open(s, '/api/operator/events', { Cookie: cookie! });
    t.equal(o.status, 200, `operator stream ${i} of 2, beside the full customer slots`);
    await o.until(() => o.of('status').length === 1, `operator stream ${i}: its status`);
    operators.push(o);
  }
  const third = await streamAttempt(s, '/api/operator/events', { Cookie: cookie! });
  t.equal(third.status, 503);
  t.equal(third.json.error, 'too-many-streams');
  // Operator streams do not take customer slots either.
  customers[0]!.close();
  let c: SseClient | undefined;
  while (c === undefined || c.status !== 200) {
    c?.close();
    await turn();
    c = await SseClient.open(s, '/api/events');
  }
  await c.until(() => c.of('state').length === 1, 'a customer stream again');
  t.pass('a customer slot freed for a customer stream');
  for (const x of [...customers, ...operators, c]) x.close();
});

void t.test('the status asks the station sparingly: never on writing events, one query at a time, an answer reused for 1 s, one status per event', async (t) => {
  let queries = 0;
  let answer: (() => void) | undefined;
  let slow = false;
  const station = (): Promise<StationStatus> => {
    queries += 1;
    const status: StationStatus = { hopper: 'ok', hopperRemaining: 12 - queries, cardAtStation: false };
    if (!slow) return Promise.resolve(status);
    return new Promise((resolve) => (answer = () => resolve(status)));
  };
  const s = await setup(t, { station });
  // No operator stream: no status, no query.
  s.feed.events({ type: 'request-sent' });
  await turn();
  t.equal(queries, 0, 'nobody watches: the station is not asked');
  const { cookie } = await login(s);
  const sse = await SseClient.open(s, '/api/operator/events', { Cookie: cookie! });
  await sse.until(() => sse.of('status').length === 1, 'the status');
  t.equal(queries, 1, 'one query for the stream’s first status');
  // A script of 50 APDUs: 50 writing events, no query and no status.
  for (let i = 1; i <= 50; i++) s.feed.events({ type: 'writing', job: 'j', index: i, total: 50 });
  for (let i = 0; i < 5; i++) await turn();
  t.equal(queries, 1, 'writing events never ask the station');
  t.equal(sse.of('status').length, 1, 'nor send a status');
  // A phase change with its event: one status (not two), the answer of the last second reused.
  s.agent.phase = 'verifying';
  s.feed.events({ type: 'verifying', job: 'j' });
  await sse.until(() => sse.of('status').length === 2, 'the status after the phase change');
  for (let i = 0; i < 5; i++) await turn();
  t.equal(sse.of('status').length, 2, 'one status for the event and the phase change together');
  t.match(sse.of('status')[1], { phase: 'verifying', hopper: { state: 'ok', remaining: 11 } });
  t.equal(queries, 1, 'within 1 s: the last answer');
  // After a second a query again, and a burst of events shares the one in flight.
  slow = true;
  s.clock.advance(1000);
  for (let i = 0; i < 10; i++) s.feed.events({ type: 'request-sent' });
  for (let i = 0; i < 5; i++) await turn();
  t.equal(queries, 2, 'ten events, one query in flight');
  answer!();
  await sse.until(() => sse.of('status').length === 12, 'a status per event');
  t.match(sse.of('status')[11], { hopper: { state: 'ok', remaining: 10 } });
  sse.close();
});

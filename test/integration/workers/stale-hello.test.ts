/**
 * A delayed hello of an older session never takes over the kiosk's current
 * one (issue 6, workers): the kiosk sealed hello(S2), then — its watchdog
 * hearing nothing — hello(S3). S3 reaches worker B and is handled; S2,
 * stuck at a slow worker A, is handled after. S3 stays current (its
 * messages are still accepted) and S2 is refused 'replayed', logged and
 * audited; S2's later messages are refused as not current, at once.
 */
import t from 'tap';
import { currentSession } from '../../../center/sessions.js';
import { openStore } from '../../../center/store/open.js';
import type { Db } from '../../../center/store/db.js';
import { memoryLogger } from '../../../common/log.js';
import { startPostgres } from '../../fixtures/postgres-server.js';
import { FakeClient, makeBridge, recordingDispatch, register, TestKiosk, type Handled } from './bridge-rig.js';

const pg = await startPostgres(t);
const dbs: Db[] = [];
t.teardown(() => Promise.all(dbs.map((d) => d.close())));
const [dbA, dbB] = await Promise.all([openStore({ url: pg.url }, memoryLogger()), openStore({ url: pg.url }, memoryLogger())]);
dbs.push(dbA, dbB);

void t.test('hello(S2) handled after hello(S3): S3 stays current, S2 is refused replayed', async (t) => {
  const kiosk = new TestKiosk('kiosk-stale-hello');
  await register(dbA, kiosk);
  const handled: Handled[] = [];
  const [logA, logB] = [memoryLogger('a'), memoryLogger('b')];
  const [ca, cb] = [new FakeClient(), new FakeClient()];
  const a = makeBridge(dbA, ca, recordingDispatch('a', handled), logA);
  const b = makeBridge(dbB, cb, recordingDispatch('b', handled), logB);
  await Promise.all([a.start(), b.start()]);
  const s2 = kiosk.session;
  const hello2 = kiosk.hello();
  const report2 = kiosk.report();
  await new Promise((r) => setTimeout(r, 5)); // S3 is sealed later, as the watchdog's new session would be
  kiosk.newSession();
  const s3 = kiosk.session;
  const hello3 = kiosk.hello();
  cb.deliver(hello3);
  await b.idle();
  ca.deliver(hello2);
  await a.idle();
  t.equal(await currentSession(dbA, kiosk.id), s3, 'S3 is still the current session');
  t.ok(logA.lines.some((l) => l.includes('"wire refused"') && l.includes('"reason":"replayed"') && l.includes('"type":"hello"')), 'the older hello is refused replayed, with the reason logged');
  const refused = (await dbA.query<{ entry: string }>('SELECT entry FROM audit_entries ORDER BY idx')).rows
    .map((r) => JSON.parse(r.entry) as { kind: string; session?: string; detail: { reason?: string; type?: string } })
    .filter((e) => e.kind === 'wire.refused');
  t.same(refused.map((e) => [e.session, e.detail.reason, e.detail.type]), [[s2, 'replayed', 'hello']], 'and audited');
  cb.deliver(kiosk.report());
  await b.idle();
  t.same(handled.map((h) => h.type), ['hello', 'reader-report'], "S3's hello and its next message were handled, S2's hello was not");
  const started = Date.now();
  ca.deliver(report2);
  await a.idle();
  t.ok(logA.lines.some((l) => l.includes('"wire refused"') && l.includes('"reason":"unknown-session"') && l.includes('"seq":2')), "S2's next message is refused: its session is not current");
  t.ok(Date.now() - started < 1_500, 'without waiting for a predecessor (the refused session is known)');
  t.equal(handled.length, 2, 'nothing of S2 handled');
});

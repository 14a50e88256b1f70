/**
 * Issue 6 point 3–4 with two workers on one PostgreSQL (two Bridges, each
 * on its own pool, fed by hand as a shared subscription would): the
 * messages of one kiosk are handled one at a time across both, in the
 * kiosk's order even when they reach the workers out of order; a lost
 * message holds its successor until just before the successor's deadline,
 * at most `gapWaitMs`; down messages go out in rising order; and a kiosk's lock held
 * by a worker that is killed (-9) is released with its connection.
 */
import t from 'tap';
import { spawn } from 'node:child_process';
import { KEY_LOCK_CLASS } from '../../../center/store/pg-lock.js';
import { openStore } from '../../../center/store/open.js';
import type { Db } from '../../../center/store/db.js';
import { memoryLogger } from '../../../common/log.js';
import { startPostgres } from '../../fixtures/postgres-server.js';
import { auditedSeqs, FakeClient, makeBridge, recordingDispatch, register, seqsIn, TestKiosk, type Handled } from './bridge-rig.js';

const pg = await startPostgres(t);
const dbs: Db[] = [];
t.teardown(() => Promise.all(dbs.map((d) => d.close())));
async function worker(): Promise<Db> {
  const db = await openStore({ url: pg.url }, memoryLogger());
  dbs.push(db);
  return db;
}
const [dbA, dbB] = [await worker(), await worker()];
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

void t.test('one kiosk, two workers, messages out of order: handled once each, in the kiosk order, never two at once', async (t) => {
  const kiosk = new TestKiosk('kiosk-order');
  await register(dbA, kiosk);
  const handled: Handled[] = [];
  const [logA, logB] = [memoryLogger('a'), memoryLogger('b')];
  const wire: string[] = [];
  const [ca, cb] = [new FakeClient(5, wire), new FakeClient(5, wire)];
  let busy = 0;
  let most = 0;
  const hold = async (): Promise<void> => {
    busy++;
    most = Math.max(most, busy);
    await sleep(15);
    busy--;
  };
  const a = makeBridge(dbA, ca, recordingDispatch('a', handled, { hold }), logA, { gapWaitMs: 5_000 });
  const b = makeBridge(dbB, cb, recordingDispatch('b', handled, { hold }), logB, { gapWaitMs: 5_000 });
  await Promise.all([a.start(), b.start()]);
  const msgs = [kiosk.hello(), ...Array.from({ length: 7 }, () => kiosk.report())];
  // Delivered backwards, alternating workers: each must wait for its predecessor, held by the other.
  for (const [i, m] of [...msgs.entries()].reverse()) (i % 2 === 0 ? ca : cb).deliver(m);
  await Promise.all([a.idle(), b.idle()]);
  const lines = [...logA.lines, ...logB.lines];
  const seqs = lines
    .map((l) => JSON.parse(l) as { msg: string; seq?: number; at?: number })
    .filter((l) => l.msg === 'message in')
    .map((l) => l.seq);
  t.equal(handled.length, 8, 'every message handled once');
  t.same(handled.map((h) => h.type), ['hello', ...Array<string>(7).fill('reader-report')], 'hello first, then the reports');
  t.same([...seqsIn(logA.lines, kiosk.id), ...seqsIn(logB.lines, kiosk.id)].sort((x, y) => x - y), [1, 2, 3, 4, 5, 6, 7, 8], 'each seq handled by one worker');
  t.equal(seqs.length, 8, 'eight messages logged in');
  t.equal(most, 1, 'never two handlers of one kiosk at once, across workers');
  t.ok(handled.some((h) => h.worker === 'a') && handled.some((h) => h.worker === 'b'), 'both workers handled some');
  t.notOk(lines.some((l) => l.includes('"wire refused"')), 'nothing refused (no predecessor taken for a replay)');
  t.ok(lines.some((l) => l.includes('message waits for an earlier one')), 'the early ones waited, and said so');
  // The order handled is the kiosk's order: the audit's wire.in entries, written under the lock, say it.
  t.same(await auditedSeqs(dbA, 'wire.in', kiosk.id), [1, 2, 3, 4, 5, 6, 7, 8], 'handled in the kiosk order (audit order)');
  t.same(await auditedSeqs(dbA, 'wire.out', kiosk.id), [1, 2, 3, 4, 5, 6, 7, 8], 'down messages numbered in the order sent');
  t.equal(ca.published.length + cb.published.length, 8, 'one answer each, from both workers');
  t.ok(ca.published.length > 0 && cb.published.length > 0, 'both workers published');
  const expected = [1, 2, 3, 4, 5, 6, 7, 8].flatMap((n) => [`pub ${kiosk.id} ${n}`, `ack ${kiosk.id} ${n}`]);
  t.same(wire, expected, 'on the wire: each down message acknowledged by the broker before the next one is published, by either worker');
});

void t.test('a lost message holds its successor at most gapWaitMs; arriving later it is refused as replayed', async (t) => {
  const kiosk = new TestKiosk('kiosk-gap');
  await register(dbA, kiosk);
  const handled: Handled[] = [];
  const log = memoryLogger('a');
  const client = new FakeClient();
  const a = makeBridge(dbA, client, recordingDispatch('a', handled), log, { gapWaitMs: 300 });
  await a.start();
  client.deliver(kiosk.hello());
  const lost = kiosk.report();
  const third = kiosk.report();
  const started = Date.now();
  client.deliver(third);
  await a.idle();
  const waited = Date.now() - started;
  t.same(handled.map((h) => h.type), ['hello', 'reader-report'], 'the third handled without the second');
  t.ok(waited >= 300, `it waited for the second first (${waited} ms)`);
  t.ok(log.lines.some((l) => l.includes('"message handled without its predecessor"') && l.includes('"seq":3')), 'and said it went on without it');
  client.deliver(lost);
  await a.idle();
  t.equal(handled.length, 2, 'the late second is not handled');
  t.ok(log.lines.some((l) => l.includes('"wire refused"') && l.includes('"reason":"replayed"')), 'it is refused as replayed, with the reason logged');
});

void t.test("a kiosk's lock held by a worker killed with -9 is released with its connection", async (t) => {
  const kiosk = new TestKiosk('kiosk-kill');
  await register(dbA, kiosk);
  // Another worker process takes the kiosk's lock exactly as pg-lock.ts does, then hangs on to it.
  const script = `
    const pg = require('pg');
    const c = new pg.Client({ connectionString: process.argv[1] });
    c.connect().then(() => c.query('SELECT pg_advisory_lock($1, hashtext($2))', [${KEY_LOCK_CLASS}, 'kiosk:${kiosk.id}'])).then(() => console.log('held'));
    setInterval(() => undefined, 1000);`;
  const child = spawn(process.execPath, ['-e', script, pg.url], { stdio: ['ignore', 'pipe', 'inherit'] });
  t.teardown(() => child.kill('SIGKILL'));
  await new Promise<void>((resolve) => child.stdout.on('data', (d: Buffer) => d.toString().includes('held') && resolve()));
  const handled: Handled[] = [];
  const client = new FakeClient();
  const b = makeBridge(dbB, client, recordingDispatch('b', handled), memoryLogger('b'));
  await b.start();
  client.deliver(kiosk.hello());
  await sleep(500);
  t.same(handled, [], 'the message waits while the other process holds the lock');
  child.kill('SIGKILL');
  await b.idle();
  t.same(handled.map((h) => h.type), ['hello'], 'once it is killed, the lock is free and the message is handled');
});

void t.test("deadlines bound the wait: a message whose predecessor is lost is handled just before its deadline, never after it", async (t) => {
  const kiosk = new TestKiosk('kiosk-late');
  await register(dbA, kiosk);
  const handled: Handled[] = [];
  const log = memoryLogger('a');
  const client = new FakeClient();
  const a = makeBridge(dbA, client, recordingDispatch('a', handled), log, { gapWaitMs: 10_000 });
  await a.start();
  client.deliver(kiosk.hello());
  await a.idle();
  kiosk.report(); // lost
  const started = Date.now();
  client.deliver(kiosk.up('reader-report', { reader: 'r1', status: 'authenticated' }, 1_500));
  await a.idle();
  const waited = Date.now() - started;
  t.same(handled.map((h) => h.type), ['hello', 'reader-report'], 'handled, not refused as late');
  t.ok(waited >= 1_000, `it waited for its predecessor until just before its deadline, not a fixed time (${waited} ms)`);
  t.ok(log.lines.some((l) => l.includes('"message handled without its predecessor"') && l.includes('"seq":3')), 'and said it went on without it');
  client.deliver(kiosk.up('reader-report', { reader: 'r1', status: 'authenticated' }, -1));
  await a.idle();
  t.equal(handled.length, 2, 'a message already past its deadline is not handled');
  t.ok(log.lines.some((l) => l.includes('"wire refused"') && l.includes('"reason":"late"')), 'it is refused as late, with the reason logged');
});

/**
 * `Db.withLock` on PostgreSQL (center/store/pg-lock.ts) where it meets the
 * server: a lock connection the server ends while its task runs (logged,
 * not fatal, the key usable again), waiters that hold no connection (a peer
 * holding more keys than this process has lock connections does not stop
 * the other kiosks), and a wait that runs out (StoreError LOCK_TIMEOUT,
 * nothing leaked). Its own private PostgreSQL server (test/fixtures).
 */
import t from 'tap';
import pg from 'pg';
import type { Db } from '../../../center/store/db.js';
import { KEY_LOCK_CLASS } from '../../../center/store/pg-lock.js';
import { openPostgres } from '../../../center/store/postgres.js';
import { memoryLogger, silentLogger } from '../../../common/log.js';
import { startPostgres } from '../../fixtures/postgres-server.js';
import { latch, within } from '../../fixtures/latch.js';

const server = await startPostgres(t);

async function admin<T extends pg.QueryResultRow>(sql: string, params: unknown[] = []): Promise<T[]> {
  const c = new pg.Client({ connectionString: server.url });
  await c.connect();
  try {
    return (await c.query<T>(sql, params)).rows;
  } finally {
    await c.end();
  }
}

/** Backends holding one of our key locks (pg_locks: a two-int4 advisory lock has classid = first key). */
const lockHolders = (): Promise<{ pid: number }[]> => admin<{ pid: number }>("SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND classid = $1::bigint::oid AND granted", [KEY_LOCK_CLASS]);

type SubTest = Parameters<Parameters<typeof t.test>[0]>[0];

async function open(t: SubTest, opts: Parameters<typeof openPostgres>[2] = {}, log = silentLogger): Promise<Db> {
  const db = await openPostgres(server.url, log, opts);
  t.teardown(() => db.close());
  return db;
}


void t.test('a lock connection the server ends while its task runs: logged, no crash, the key works again', async (t) => {
  const log = memoryLogger();
  const db = await open(t, {}, log);
  const warned = (): boolean => log.lines.some((l) => l.includes('a lock connection failed while it held a lock'));
  const out = await db.withLock('kiosk:dropped', async () => {
    const holders = await lockHolders();
    t.equal(holders.length, 1, 'one backend holds the lock');
    await admin('SELECT pg_terminate_backend($1)', [holders[0]!.pid]);
    // The client learns of it asynchronously; without a listener this is an uncaughtException (tap fails on it).
    for (let i = 0; i < 250 && !warned(); i++) await new Promise((r) => setTimeout(r, 20));
    return 'done';
  });
  t.equal(out, 'done', "the task's own outcome is returned");
  t.ok(warned(), 'the lost lock connection was logged as a warning');
  const line = log.lines.find((l) => l.includes('a lock connection failed'))!;
  t.match(line, /"level":"warn"/);
  t.match(line, /"lock":"kiosk:dropped"/, 'it names the key');
  t.notMatch(line, /postgres:\/\/|127\.0\.0\.1/, 'and no server address');
  t.equal(await within(db.withLock('kiosk:dropped', () => Promise.resolve('again')), 5_000, 'the key again'), 'again', 'the next holder of that key runs');
  t.same(await lockHolders(), [], 'no lock left held');
});

void t.test('waiters hold no lock connection: a peer holding 11 keys does not stop a free one', async (t) => {
  const peer = await open(t, { lockConnections: 11 });
  const db = await open(t);
  const held = latch();
  t.teardown(held.open); // before the stores close (teardowns run last-registered first), also when an assertion throws
  const keys = Array.from({ length: 11 }, (_, i) => `kiosk:busy-${i}`);
  let peerIn = 0;
  const peerRuns = keys.map((k) =>
    peer.withLock(k, async () => {
      peerIn++;
      await held.promise;
    }),
  );
  while (peerIn < keys.length) await new Promise((r) => setTimeout(r, 5));
  const waiting = keys.map((k) => db.withLock(k, () => Promise.resolve(k)));
  // Let the 11 waiters reach the server first.
  await new Promise((r) => setTimeout(r, 100));
  const started = Date.now();
  t.equal(await within(db.withLock('kiosk:free', () => Promise.resolve('free')), 1_000, 'the free key'), 'free', 'the free key ran meanwhile');
  t.comment(`free key ran after ${Date.now() - started} ms`);
  held.open();
  await Promise.all(peerRuns);
  t.same(await within(Promise.all(waiting), 10_000, 'the waiters'), keys, 'every waiter got its key once the peer let go');
});

void t.test('a wait longer than lockWaitMs fails LOCK_TIMEOUT and leaks nothing', async (t) => {
  const peer = await open(t);
  // One lock connection: a leaked one would stop every later withLock.
  const db = await open(t, { lockConnections: 1, lockWaitMs: 200 });
  const held = latch();
  const busy = latch();
  t.teardown(() => (held.open(), busy.open()));
  let peerIn = false;
  const peerRun = peer.withLock('kiosk:held', async () => {
    peerIn = true;
    await held.promise;
  });
  while (!peerIn) await new Promise((r) => setTimeout(r, 5));
  for (const attempt of [1, 2]) {
    const started = Date.now();
    await t.rejects(db.withLock('kiosk:held', () => Promise.resolve('ran')), { name: 'StoreError', code: 'LOCK_TIMEOUT' }, `attempt ${attempt}: timed out`);
    t.ok(Date.now() - started < 5_000, `attempt ${attempt}: within a generous bound (${Date.now() - started} ms)`);
  }
  t.equal(await within(db.withLock('kiosk:other', () => Promise.resolve('other')), 5_000, 'another key'), 'other', 'its one lock connection is free again');
  // Its only lock connection busy in a running task: another key waits for it no longer than lockWaitMs.
  const running = db.withLock('kiosk:long', () => busy.promise);
  await t.rejects(db.withLock('kiosk:queued', () => Promise.resolve('ran')), { code: 'LOCK_TIMEOUT' }, 'no lock connection free within lockWaitMs');
  busy.open();
  await running;
  held.open();
  await peerRun;
  t.same(await lockHolders(), [], 'no lock left held');
  t.equal(await within(db.withLock('kiosk:held', () => Promise.resolve('at last')), 5_000, 'the released key'), 'at last');
});

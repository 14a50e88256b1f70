/**
 * The store contract's case for `Db.withLock` (center/store/db.ts): holders
 * of one key one at a time and in the order they asked, other keys
 * concurrently, the lock released when the task throws, and — when the rig
 * can open a second store on the same data (PostgreSQL: another worker) —
 * the lock holding across the two.
 */
import type tap from 'tap';
import type { Db } from '../../center/store/db.js';
import { latch, within } from '../fixtures/latch.js';

type SubTest = Parameters<Parameters<typeof tap.test>[0]>[0];

export async function lockContract(t: SubTest, getDb: () => Db, openPeer?: () => Promise<Db>): Promise<void> {
  await t.test('withLock: one holder per key, in order; other keys run meanwhile; a throwing task releases it', async (t) => {
    const db = getDb();
    const started: number[] = [];
    let holders = 0;
    let most = 0;
    const held = latch();
    const firstIn = latch();
    const runs = [0, 1, 2, 3, 4].map((i) =>
      db.withLock('contract:a', async () => {
        started.push(i);
        if (i === 0) firstIn.open();
        holders++;
        most = Math.max(most, holders);
        if (i === 0) await held.promise;
        await new Promise((r) => setTimeout(r, 2));
        holders--;
        if (i === 2) throw new Error('task 2 fails');
        return i;
      }),
    );
    // Task 0 holds key a (waiting on the latch); on PostgreSQL taking it is a round trip, so wait until it has.
    await within(firstIn.promise, 5_000, 'first holder of key a');
    // While key a is held, key b is free: this would hang if keys shared one lock.
    t.equal(await within(db.withLock('contract:b', () => Promise.resolve('b')), 5_000, 'key b'), 'b', 'another key runs while the first is held');
    t.same(started, [0], 'only the first holder of key a has started');
    held.open();
    const outcomes = await Promise.allSettled(runs);
    t.same(started, [0, 1, 2, 3, 4], 'holders ran in the order they asked');
    t.equal(most, 1, 'never two holders of one key at once');
    t.same(
      outcomes.map((o) => (o.status === 'fulfilled' ? o.value : (o.reason as Error).message)),
      [0, 1, 'task 2 fails', 3, 4],
      "each caller gets its own task's outcome; the failure released the lock for the next",
    );
  });

  if (openPeer === undefined) {
    t.comment('withLock across stores: this store has one process per data directory (its in-process queue is the whole lock)');
    return;
  }
  await t.test('withLock holds across two stores on the same database (two workers)', async (t) => {
    const db = getDb();
    const peer = await openPeer();
    t.teardown(() => peer.close());
    const held = latch();
    const order: string[] = [];
    const first = db.withLock('contract:shared', async () => {
      order.push('first in');
      await held.promise;
      order.push('first out');
    });
    // Let the first take it (its advisory lock is on the server once the task runs).
    while (order.length === 0) await new Promise((r) => setTimeout(r, 5));
    const second = peer.withLock('contract:shared', () => {
      order.push('second in');
      return Promise.resolve();
    });
    const other = await within(peer.withLock('contract:other', () => Promise.resolve('free')), 5_000, 'another key on the peer');
    t.equal(other, 'free', 'the peer takes another key meanwhile');
    await new Promise((r) => setTimeout(r, 100));
    t.same(order, ['first in'], 'the peer waits while the first store holds the key');
    held.open();
    await within(Promise.all([first, second]), 10_000, 'both holders');
    t.same(order, ['first in', 'first out', 'second in'], 'the peer got it once the first released it');
  });
}

/**
 * The store contract's cases for `AuditLog.record` (center/audit/
 * group-commit.ts): entries recorded while a batch commits go together in
 * the next one, in the order they were recorded; a batch crossing a
 * checkpoint size still leaves that checkpoint; a malformed entry is
 * refused alone; a batch the store fails writes nothing and fails each of
 * its entries.
 */
import type tap from 'tap';
import type { MerkleAuditLog } from '../../center/audit/audit-log.js';
import type { AuditVerifyReport } from '../../center/audit/verify.js';
import type { Db } from '../../center/store/db.js';

type SubTest = Parameters<Parameters<typeof tap.test>[0]>[0];

/** `db` with its transactions counted, and optionally made to fail after `fn` ran (a commit the store refuses). */
function counted(db: Db, failCommit = false): { db: Db; transactions: () => number } {
  let n = 0;
  const wrapped: Db = {
    kind: db.kind,
    query: (text, params) => db.query(text, params),
    transaction: (fn) => {
      n++;
      return db.transaction(async (tx) => {
        const out = await fn(tx);
        if (failCommit) throw new Error('the store refused the commit');
        return out;
      });
    },
    withLock: (key, fn) => db.withLock(key, fn),
    close: () => db.close(),
  };
  return { db: wrapped, transactions: () => n };
}

const headSize = async (db: Db): Promise<number> => (await db.query<{ size: number }>('SELECT size FROM audit_head WHERE id = 1')).rows[0]!.size;

export async function auditGroupContract(t: SubTest, db: Db, audit: MerkleAuditLog, verify: () => Promise<AuditVerifyReport>): Promise<void> {
  await t.test('audit: record() group-commits in order, across a checkpoint size', async (t) => {
    const start = await headSize(db);
    const c = counted(db);
    const results = await Promise.all(Array.from({ length: 300 }, (_, n) => audit.record(c.db, { kind: 'test.recorded', kiosk: 'k1', detail: { n } })));
    t.same(
      results.map((r) => r.index),
      Array.from({ length: 300 }, (_, n) => start + n),
      'each entry at the next index, in the order recorded',
    );
    // The first goes alone (nothing was waiting); the 299 that came meanwhile go in two batches (at most 256 each).
    t.equal(c.transactions(), 3, '300 entries recorded at once: 3 transactions, not 300');
    const texts = (await db.query<{ entry: string }>('SELECT entry FROM audit_entries WHERE idx >= $1 ORDER BY idx', [start])).rows;
    t.same(
      texts.map((r) => (JSON.parse(r.entry) as { detail: { n: number } }).detail.n),
      Array.from({ length: 300 }, (_, n) => n),
      'the texts in that order',
    );
    const report = await verify();
    t.ok(start < 768 && start + 300 > 768, 'the batches crossed the checkpoint size 768');
    t.same([report.ok, report.headSize, report.problems], [true, start + 300, []], 'the log verifies: checkpoint 768 is there though no head was signed at 768');
  });

  await t.test('audit: record() refuses a malformed entry alone', async (t) => {
    const start = await headSize(db);
    const [a, bad, b] = await Promise.allSettled([
      audit.record(db, { kind: 'test.recorded', detail: { n: 1 } }),
      audit.record(db, { kind: 'NOT A KIND', detail: {} }),
      audit.record(db, { kind: 'test.recorded', detail: { n: 2 } }),
    ]);
    t.same([a?.status, b?.status], ['fulfilled', 'fulfilled'], 'the well-formed entries around it are appended');
    t.equal(bad?.status, 'rejected');
    t.equal(((bad as PromiseRejectedResult).reason as { code?: string }).code, 'INVALID_ENTRY');
    t.equal(await headSize(db), start + 2);
    t.same((await verify()).problems, []);
  });

  await t.test('audit: a batch the store fails writes nothing and fails each of its entries', async (t) => {
    const start = await headSize(db);
    const failing = counted(db, true);
    const outcomes = await Promise.allSettled([1, 2, 3].map((n) => audit.record(failing.db, { kind: 'test.recorded', detail: { n } })));
    t.same(
      outcomes.map((o) => (o.status === 'rejected' ? (o.reason as Error).message : 'appended')),
      ['the store refused the commit', 'the store refused the commit', 'the store refused the commit'],
    );
    t.equal(await headSize(db), start, 'the head did not move');
    t.equal((await db.query<{ n: number }>('SELECT count(*)::int AS n FROM audit_entries WHERE idx >= $1', [start])).rows[0]!.n, 0, 'no entry written');
    t.same(await audit.record(db, { kind: 'test.recorded', detail: { n: 4 } }), { index: start, size: start + 1 }, 'the next record takes the same index');
    t.same((await verify()).problems, []);
  });
}

/**
 * The console's audit view (center/console/audit-view.ts) on the rig's real
 * PGlite store, with a fake clock: requests that arrive together share one
 * verification (on PGlite it holds the only connection), and a report is
 * reused for VERIFY_TTL_MS even when the log has grown meanwhile — its
 * treeSize says which entries it covers.
 */
import t from 'tap';
import { AuditView, VERIFY_TTL_MS } from '../../../center/console/audit-view.js';
import type { Db } from '../../../center/store/db.js';
import { FakeClock } from '../../../common/clock.js';
import { startRig } from '../../fixtures/rig.js';

const rig = await startRig(t);
const d = rig.center.deps;
const clock = new FakeClock(Date.now());

/** The store, counting the transactions begun (a verification is one snapshot transaction). */
let transactions = 0;
const counted = new Proxy(d.db, {
  get(target, p, receiver) {
    if (p === 'transaction') {
      return (fn: Parameters<Db['transaction']>[0]) => {
        transactions += 1;
        return target.transaction(fn);
      };
    }
    const v = Reflect.get(target, p, receiver) as unknown;
    return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
  },
});

const append = (): Promise<unknown> => d.db.transaction((tx) => d.audit.append(tx, { kind: 'test.marker', detail: {} }));
const headSize = async (): Promise<number> => (await d.db.query<{ size: number }>('SELECT size FROM audit_head WHERE id = 1')).rows[0]?.size ?? 0;

void t.test('concurrent requests share one verification; a report is reused for 10 s whatever the size', async (t) => {
  await append();
  const view = new AuditView(counted, d.keys.signingPublic, clock);
  const q = new URLSearchParams('limit=5');
  const answers = await Promise.all(Array.from({ length: 8 }, () => view.view(q)));
  t.equal(transactions, 1, 'eight requests at once: one verification');
  t.ok(answers.every((a) => a.verification === answers[0]!.verification), 'the same report for all');
  const size = await headSize();
  t.match(answers[0]!.verification, { ok: true, treeSize: size, problems: [] });

  await append();
  await append();
  clock.advance(VERIFY_TTL_MS - 1);
  const young = await view.view(q);
  t.equal(transactions, 1, 'the log grew, but the report is younger than 10 s: reused');
  t.equal(young.verification.treeSize, size, 'its treeSize says what it covers');
  t.ok(young.entries[0]!.index >= size, 'entries newer than the verification are listed above it');

  clock.advance(1);
  const fresh = await view.view(q);
  t.equal(transactions, 2, 'after 10 s, verified again');
  t.equal(fresh.verification.treeSize, size + 2);
  t.equal(fresh.verification.ok, true);
});

void t.test('a failed verification is not kept: the next request tries again', async (t) => {
  let fail = true;
  const flaky = new Proxy(d.db, {
    get(target, p, receiver) {
      if (p === 'transaction') return (fn: Parameters<Db['transaction']>[0]) => (fail ? Promise.reject(new Error('store busy')) : target.transaction(fn));
      const v = Reflect.get(target, p, receiver) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
  const view = new AuditView(flaky, d.keys.signingPublic, clock);
  const q = new URLSearchParams();
  const both = await Promise.allSettled([view.view(q), view.view(q)]);
  t.same(both.map((r) => r.status), ['rejected', 'rejected'], 'both waiters see the one failure');
  fail = false;
  t.equal((await view.view(q)).verification.ok, true, 'and the next request verifies');
});

/**
 * The store contract (center/store/db.ts): every Db implementation runs
 * this suite through its own rig. PGlite and PostgreSQL must behave the
 * same: migrations, transactions, value round trips, row-lock
 * serialization, and the audit log on top (append, verify, and every kind
 * of tampering detected with a specific problem line).
 *
 * One store per suite (PGlite's first open of a directory costs seconds);
 * the subtests run in order on it, each on its own tables.
 */
import t from 'tap';
import { ed25519 } from '@noble/curves/ed25519.js';
import { MerkleAuditLog } from '../../center/audit/audit-log.js';
import { leafHash } from '../../center/audit/merkle.js';
import { verifyAuditLog, type AuditVerifyReport } from '../../center/audit/verify.js';
import type { Db, Sql } from '../../center/store/db.js';
import { closeSessions, openSession } from '../../center/sessions.js';
import { migrate } from '../../center/store/migrate.js';
import { MIGRATIONS } from '../../center/store/migrations/index.js';
import { isUniqueViolation } from '../../center/store/query-error.js';
import { FakeClock } from '../../common/clock.js';
import { silentLogger } from '../../common/log.js';
import { auditGroupContract } from './audit-group.contract.js';
import { lockContract } from './store-lock.contract.js';

export interface StoreRig {
  /** Opens (and migrates, openStore) the rig's one store; after close, the same data again. */
  open(): Promise<Db>;
  /** Opens a second store on the same data beside the first, as another process would (absent: one process per store). */
  openPeer?(): Promise<Db>;
}

type SubTest = Parameters<Parameters<typeof t.test>[0]>[0];

export function storeContract(name: string, rig: StoreRig): void {
  void t.test(`${name}: store contract`, async (t) => {
    let db = await rig.open();
    t.teardown(() => db.close());

    await t.test('migrations are applied once; reopening applies nothing', async (t) => {
      const before = await db.query<{ id: number; name: string; applied_at: Date }>('SELECT id, name, applied_at FROM schema_migrations ORDER BY id');
      t.same(
        before.rows.map((r) => [r.id, r.name]),
        MIGRATIONS.map((m) => [m.id, m.name]),
      );
      await db.close();
      db = await rig.open();
      t.same(await migrate(db, silentLogger), [], 'nothing left to apply');
      const after = await db.query<{ id: number; applied_at: Date }>('SELECT id, applied_at FROM schema_migrations ORDER BY id');
      t.same(
        after.rows.map((r) => r.applied_at.getTime()),
        before.rows.map((r) => r.applied_at.getTime()),
        'applied_at unchanged: nothing re-ran',
      );
    });

    await t.test('a newer or foreign schema is refused', async (t) => {
      await db.query("INSERT INTO schema_migrations (id, name) VALUES (99, 'future')");
      await t.rejects(migrate(db, silentLogger), { code: 'MIGRATION_FAILED', message: /99 \(future\).*newer version/ });
      await db.query('DELETE FROM schema_migrations WHERE id = 99');
      await db.query("UPDATE schema_migrations SET name = 'other' WHERE id = 2");
      await t.rejects(migrate(db, silentLogger), { code: 'MIGRATION_FAILED', message: /migration 2 is 'other'/ });
      await db.query("UPDATE schema_migrations SET name = 'audit' WHERE id = 2");
      t.same(await migrate(db, silentLogger), [], 'accepted again once restored');
    });

    await t.test('transactions commit, roll back, and rethrow', async (t) => {
      await db.query('CREATE TABLE c_tx (id integer PRIMARY KEY, v text NOT NULL)');
      const r = await db.transaction(async (tx) => {
        await tx.query('INSERT INTO c_tx VALUES ($1, $2)', [1, 'one']);
        return (await tx.query<{ n: number }>('SELECT count(*)::int AS n FROM c_tx')).rows[0]!.n;
      });
      t.equal(r, 1, 'the function result is returned');
      const boom = new Error('boom');
      await t.rejects(
        db.transaction(async (tx) => {
          await tx.query('INSERT INTO c_tx VALUES ($1, $2)', [2, 'two']);
          throw boom;
        }),
        boom,
      );
      // A SQL error inside: a QueryError with the SQLSTATE, and the earlier insert is gone too.
      let caught: unknown;
      await db
        .transaction(async (tx) => {
          await tx.query('INSERT INTO c_tx VALUES ($1, $2)', [3, 'three']);
          await tx.query('INSERT INTO c_tx VALUES ($1, $2)', [1, 'dup']);
        })
        .catch((e: unknown) => (caught = e));
      t.match(caught, { name: 'StoreError', code: 'QUERY_FAILED', sqlState: '23505' });
      t.ok(isUniqueViolation(caught));
      const rows = await db.query<{ id: number }>('SELECT id FROM c_tx ORDER BY id');
      t.same(
        rows.rows.map((x) => x.id),
        [1],
        'only the committed row remains',
      );
      let kept: Sql | undefined;
      await db.transaction(async (tx) => {
        kept = tx;
        return Promise.resolve();
      });
      await t.rejects(kept!.query('SELECT 1'), { code: 'CLOSED' }, 'a tx cannot be used after its transaction');
      const upd = await db.query("UPDATE c_tx SET v = 'uno' WHERE id = 1");
      t.equal(upd.rowCount, 1, 'rowCount of an UPDATE');
      t.equal((await db.query('DELETE FROM c_tx WHERE id = 42')).rowCount, 0);
      await t.rejects(db.query('SELECT * FROM no_such_table'), { code: 'QUERY_FAILED', sqlState: '42P01' });
    });

    await t.test('values round-trip: bytea, timestamptz, jsonb, int, int8, text, null', async (t) => {
      await db.query('CREATE TABLE c_vals (id integer PRIMARY KEY, b bytea, ts timestamptz, j jsonb, s text, big bigint)');
      const all = Uint8Array.from({ length: 256 }, (_, i) => i);
      const when = new Date(Date.UTC(2031, 4, 6, 7, 8, 9, 123));
      const json = { a: [1, 'two', null, { deep: true }], 'ü': 'ß' };
      await db.query('INSERT INTO c_vals VALUES ($1, $2, $3, $4, $5, $6)', [1, all, when, JSON.stringify(json), 'Grüße ✓', 9007199254740993n]);
      await db.query('INSERT INTO c_vals VALUES ($1, $2, $3, $4, $5, $6)', [2, new Uint8Array(0), null, null, null, 41]);
      const { rows } = await db.query<{ id: number; b: Uint8Array; ts: Date | null; j: unknown; s: string | null; big: unknown; n: number }>(
        'SELECT id, b, ts, j, s, big, count(*) OVER ()::int AS n FROM c_vals ORDER BY id',
      );
      const [one, two] = rows;
      t.ok(one!.b instanceof Uint8Array, 'bytea is a Uint8Array');
      t.same([...one!.b], [...all]);
      t.equal(two!.b.length, 0, 'empty bytea');
      t.ok(one!.ts instanceof Date);
      t.equal(one!.ts!.getTime(), when.getTime(), 'timestamptz keeps milliseconds');
      t.same(one!.j, json, 'jsonb comes back parsed');
      t.equal(one!.s, 'Grüße ✓');
      t.equal(one!.n, 2, 'count()::int is a number');
      t.equal(typeof one!.id, 'number');
      t.equal(one!.big, 9007199254740993n, 'an int8 beyond 2^53 is a bigint');
      t.equal(two!.big, 41, 'a small int8 is a number, never a string');
      t.equal(two!.ts, null);
      t.equal(two!.j, null);
    });

    await t.test('concurrent transactions: row locks serialize read-modify-write', async (t) => {
      await db.query('CREATE TABLE c_counter (id integer PRIMARY KEY, n integer NOT NULL)');
      await db.query('INSERT INTO c_counter VALUES (1, 0)');
      const N = 25;
      await Promise.all(
        Array.from({ length: N }, () =>
          db.transaction(async (tx) => {
            const n = (await tx.query<{ n: number }>('SELECT n FROM c_counter WHERE id = 1 FOR UPDATE')).rows[0]!.n;
            await new Promise((r) => setImmediate(r)); // give others a chance to interleave
            await tx.query('UPDATE c_counter SET n = $1 WHERE id = 1', [n + 1]);
          }),
        ),
      );
      t.equal((await db.query<{ n: number }>('SELECT n FROM c_counter')).rows[0]!.n, N, 'no increment lost');
    });

    await t.test('wire sessions: a late closeSessions leaves open a session opened after the disconnect', async (t) => {
      const at = (s: number): Date => new Date(Date.UTC(2025, 0, 1, 0, 0, s));
      await db.query(`INSERT INTO kiosks (id, status, signing_public_key, cert_fingerprint, created_at, updated_at) VALUES ('k-close', 'active', $1, 'fp', $2, $2)`, [new Uint8Array(32), at(0)]);
      await db.transaction((tx) => openSession(tx, 'k-close', 'sess-old', 0, at(1)));
      // The connection ends at 10 s; the kiosk reconnects and opens its next session at 11 s before the close is recorded.
      await db.transaction((tx) => openSession(tx, 'k-close', 'sess-new', 0, at(11)));
      await closeSessions(db, 'k-close', at(10));
      const rows = (await db.query<{ id: string; current: boolean; closed_at: Date | null }>(`SELECT id, current, closed_at FROM sessions WHERE kiosk_id = 'k-close' ORDER BY opened_at`)).rows;
      t.same(rows, [
        { id: 'sess-old', current: false, closed_at: null },
        { id: 'sess-new', current: true, closed_at: null },
      ], 'the new session stays open');
      await closeSessions(db, 'k-close', at(20));
      const closed = (await db.query<{ closed_at: Date | null }>(`SELECT closed_at FROM sessions WHERE id = 'sess-new'`)).rows[0]?.closed_at;
      t.equal(closed?.getTime(), at(20).getTime(), 'its own disconnect closes it');
    });

    await auditContract(t, () => db);
    await lockContract(t, () => db, rig.openPeer ? () => rig.openPeer!() : undefined);

    await t.test('a closed store refuses work', async (t) => {
      await db.close();
      await t.rejects(db.query('SELECT 1'), { code: 'CLOSED' });
      await t.rejects(
        db.transaction(() => Promise.resolve()),
        { code: 'CLOSED' },
      );
      await t.rejects(
        db.withLock('closed', () => Promise.resolve()),
        { code: 'CLOSED' },
      );
      await db.close(); // idempotent
    });
  });
}

async function auditContract(t: SubTest, getDb: () => Db): Promise<void> {
  const db = getDb();
  const sk = ed25519.utils.randomSecretKey();
  const pk = ed25519.getPublicKey(sk);
  const clock = new FakeClock(Date.UTC(2025, 0, 1));
  const audit = new MerkleAuditLog({ signingKey: sk, clock, logger: silentLogger });
  const verify = (opts?: { pageSize?: number }): Promise<AuditVerifyReport> => verifyAuditLog(db, pk, opts);

  await t.test('audit: an empty log verifies', async (t) => {
    t.same(await verify(), { ok: true, entries: 0, checkpoints: 0, headSize: 0, problems: [] });
  });

  await t.test('audit: 600 entries appended by concurrent transactions verify', async (t) => {
    const indexes: number[] = [];
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < 600) {
        const first = next;
        next += 5;
        await db.transaction(async (tx) => {
          for (let j = 0; j < 5; j++) {
            const r = await audit.append(tx, { kind: 'test.entry', kiosk: 'k1', job: `job-${first + j}`, detail: { n: first + j, ok: j % 2 === 0, note: 'x' } });
            indexes.push(r.index);
            clock.advance(7);
          }
        });
      }
    };
    await Promise.all([worker(), worker(), worker(), worker()]);
    t.same(
      indexes.sort((a, b) => a - b),
      Array.from({ length: 600 }, (_, i) => i),
      'every index 0..599 given exactly once',
    );
    t.same(await verify(), { ok: true, entries: 600, checkpoints: 2, headSize: 600, problems: [] });
    t.same(await verify({ pageSize: 7 }), { ok: true, entries: 600, checkpoints: 2, headSize: 600, problems: [] }, 'same in small pages');
  });

  await t.test('audit: a rolled-back append leaves no trace; a bad entry is refused', async (t) => {
    await t.rejects(
      db.transaction(async (tx) => {
        await audit.append(tx, { kind: 'test.entry', detail: {} });
        throw new Error('abandon');
      }),
      { message: 'abandon' },
    );
    await t.rejects(
      db.transaction((tx) => audit.append(tx, { kind: 'BAD KIND', detail: {} })),
      { code: 'INVALID_ENTRY' },
    );
    const r = await verify();
    t.equal(r.ok, true);
    t.equal(r.headSize, 600);
    t.equal(r.entries, 600);
  });

  await t.test('audit: checkpoint() signs the current head once per size', async (t) => {
    const cp = await db.transaction((tx) => audit.checkpoint(tx));
    t.equal(cp.size, 600);
    const root = (await db.query<{ root: Uint8Array }>('SELECT root FROM audit_head')).rows[0]!.root;
    t.equal(cp.rootHex, Buffer.from(root).toString('hex'));
    await db.transaction((tx) => audit.checkpoint(tx));
    const r = await verify();
    t.same([r.ok, r.checkpoints], [true, 3]);
  });

  await t.test('audit: the wrong public key fails every signature', async (t) => {
    const r = await verifyAuditLog(db, ed25519.getPublicKey(ed25519.utils.randomSecretKey()));
    t.equal(r.ok, false);
    t.same(r.problems, ['checkpoint 256: signature invalid', 'checkpoint 512: signature invalid', 'checkpoint 600: signature invalid', 'head: signature invalid']);
    await t.rejects(verifyAuditLog(db, new Uint8Array(31)), { code: 'INVALID_KEY' });
  });

  const tamper = async (what: string, change: string[], restore: string[], expect: string[], pageSize?: number): Promise<void> => {
    await t.test(`audit tampering: ${what}`, async (t) => {
      for (const q of change) await db.query(q);
      const r = await verify(pageSize ? { pageSize } : {});
      t.equal(r.ok, false, 'not ok');
      for (const line of expect) t.ok(r.problems.includes(line), `reports "${line}"`, { problems: r.problems });
      for (const q of restore) await db.query(q);
      t.same((await verify()).problems, [], 'clean again once restored');
    });
  };
  const entry = async (idx: number): Promise<{ entry: string; hex: string }> => {
    const row = (await db.query<{ entry: string; leaf_hash: Uint8Array }>('SELECT entry, leaf_hash FROM audit_entries WHERE idx = $1', [idx])).rows[0]!;
    return { entry: row.entry, hex: Buffer.from(row.leaf_hash).toString('hex') };
  };
  const lit = (s: string): string => `'${s.replace(/'/g, "''")}'`;
  const e17 = await entry(17);
  const e100 = await entry(100);
  const cpRoot = (await db.query<{ root: Uint8Array }>('SELECT root FROM audit_checkpoints WHERE size = 256')).rows[0]!.root;
  const headSig = (await db.query<{ signature: Uint8Array }>('SELECT signature FROM audit_head')).rows[0]!.signature;
  const hexOf = (b: Uint8Array): string => `'\\x${Buffer.from(b).toString('hex')}'::bytea`;

  await tamper(
    'an edited entry text',
    [`UPDATE audit_entries SET entry = replace(entry, '"kiosk":"k1"', '"kiosk":"k2"') WHERE idx = 17`],
    [`UPDATE audit_entries SET entry = ${lit(e17.entry)} WHERE idx = 17`],
    ['entry 17: leaf hash does not match its text', 'checkpoint 256: root mismatch', 'head: root mismatch'],
  );
  // A forger who also fixes the leaf hash is caught by the signed roots.
  const forged = e17.entry.replace('"kiosk":"k1"', '"kiosk":"k2"');
  const forgedLeaf = Buffer.from(leafHash(new TextEncoder().encode(forged))).toString('hex');
  await tamper(
    'an edited entry text with a matching leaf hash',
    [`UPDATE audit_entries SET entry = ${lit(forged)}, leaf_hash = '\\x${forgedLeaf}'::bytea WHERE idx = 17`],
    [`UPDATE audit_entries SET entry = ${lit(e17.entry)}, leaf_hash = '\\x${e17.hex}'::bytea WHERE idx = 17`],
    ['checkpoint 256: root mismatch', 'checkpoint 512: root mismatch', 'head: root mismatch'],
  );
  await tamper(
    'a deleted entry (read in pages of 7)',
    ['DELETE FROM audit_entries WHERE idx = 100'],
    [`INSERT INTO audit_entries (idx, entry, leaf_hash) VALUES (100, ${lit(e100.entry)}, '\\x${e100.hex}'::bytea)`],
    ['entry 100: missing', 'checkpoint 256: root mismatch'],
    7,
  );
  await tamper(
    'two entries swapped (reordering)',
    ['UPDATE audit_entries SET idx = 1000000 WHERE idx = 5', 'UPDATE audit_entries SET idx = 5 WHERE idx = 6', 'UPDATE audit_entries SET idx = 6 WHERE idx = 1000000'],
    ['UPDATE audit_entries SET idx = 1000000 WHERE idx = 5', 'UPDATE audit_entries SET idx = 5 WHERE idx = 6', 'UPDATE audit_entries SET idx = 6 WHERE idx = 1000000'],
    ['entry 5: text says idx 6', 'entry 6: text says idx 5', 'checkpoint 256: root mismatch'],
  );
  const extra = e17.entry.replace('"idx":17,', '"idx":600,');
  await tamper(
    'an entry inserted after the head',
    // Leaf hash computed by the database itself: SHA-256(0x00 ‖ UTF-8 text), a consistent forgery.
    [`INSERT INTO audit_entries (idx, entry, leaf_hash) VALUES (600, ${lit(extra)}, sha256('\\x00'::bytea || convert_to(${lit(extra)}, 'UTF8')))`],
    ['DELETE FROM audit_entries WHERE idx = 600'],
    ['entry 600: beyond the signed head (size 600)'],
  );
  await tamper(
    'entries cut off the end',
    ['CREATE TABLE c_cut AS SELECT * FROM audit_entries WHERE idx >= 590', 'DELETE FROM audit_entries WHERE idx >= 590'],
    ['INSERT INTO audit_entries SELECT * FROM c_cut', 'DROP TABLE c_cut'],
    ['entries 590..599: missing (head size 600)', 'checkpoint 600: covers 600 entries but the log ends at 590'],
  );
  await tamper(
    'an edited checkpoint root',
    [`UPDATE audit_checkpoints SET root = ${hexOf(new Uint8Array(32).fill(7))} WHERE size = 256`],
    [`UPDATE audit_checkpoints SET root = ${hexOf(cpRoot)} WHERE size = 256`],
    ['checkpoint 256: root mismatch', 'checkpoint 256: signature invalid'],
  );
  await tamper(
    'a deleted checkpoint',
    ['CREATE TABLE c_cp AS SELECT * FROM audit_checkpoints WHERE size = 512', 'DELETE FROM audit_checkpoints WHERE size = 512'],
    ['INSERT INTO audit_checkpoints SELECT * FROM c_cp', 'DROP TABLE c_cp'],
    ['checkpoint 512: missing'],
  );
  await tamper(
    'a forged head signature',
    [`UPDATE audit_head SET signature = ${hexOf(ed25519.sign(new Uint8Array(8), ed25519.utils.randomSecretKey()))}`],
    [`UPDATE audit_head SET signature = ${hexOf(headSig)}`],
    ['head: signature invalid'],
  );
  await tamper(
    'a head moved to another time',
    ["UPDATE audit_head SET signed_at = signed_at + interval '1 second'"],
    ["UPDATE audit_head SET signed_at = signed_at - interval '1 second'"],
    ['head: signature invalid'],
  );

  await t.test('audit: appends continue after the checks', async (t) => {
    const r = await db.transaction((tx) => audit.append(tx, { kind: 'test.after', detail: {} }));
    t.same(r, { index: 600, size: 601 });
    t.same((await verify()).problems, []);
  });
  await auditGroupContract(t, db, audit, verify);
}

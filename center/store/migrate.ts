/**
 * Schema migrations: brings a database up to MIGRATIONS (migrations/).
 *
 * Each pending migration runs in its own transaction together with its row
 * in `schema_migrations`, so a failed one leaves the schema at the previous
 * version. On PostgreSQL every step first takes a transaction-scoped
 * advisory lock, so several center processes starting at once migrate once
 * (the others wait, then find the work done). A database migrated by a newer
 * center (ids beyond ours) or by a different history (other names) is
 * refused: running on a schema we do not know would corrupt it.
 */
import type { Logger } from '../../common/log.js';
import { StoreError, type Db, type Sql } from './db.js';
import { MIGRATIONS, type Migration } from './migrations/index.js';
import { QueryError } from './query-error.js';

/** pg_advisory_xact_lock key for migrations: "CRDL" as a 32-bit number, unlikely to meet another user's key. */
export const MIGRATION_LOCK_KEY = 0x4352444c;

interface AppliedRow {
  id: number;
  name: string;
}

/** Applies every pending migration; returns the ids applied by this call. StoreError MIGRATION_FAILED on a foreign or newer schema. */
export async function migrate(db: Db, logger: Logger, migrations: readonly Migration[] = MIGRATIONS): Promise<number[]> {
  const log = logger.child('migrate');
  checkList(migrations);
  const applied: number[] = [];
  for (;;) {
    const next = await db.transaction(async (tx) => {
      const done = await appliedCount(tx, db.kind, migrations);
      const m = migrations[done];
      if (m) await apply(tx, m);
      return m;
    });
    if (!next) break;
    applied.push(next.id);
    log.info('migration applied', { id: next.id, name: next.name });
  }
  log.info('schema up to date', { version: migrations.length, applied: applied.length });
  return applied;
}

/** Locks (PostgreSQL), makes sure the bookkeeping table exists, and checks the applied list is a prefix of ours. */
async function appliedCount(tx: Sql, kind: Db['kind'], migrations: readonly Migration[]): Promise<number> {
  if (kind === 'postgres') await tx.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK_KEY]);
  await tx.query(
    'CREATE TABLE IF NOT EXISTS schema_migrations (id integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())',
  );
  const { rows } = await tx.query<AppliedRow>('SELECT id, name FROM schema_migrations ORDER BY id');
  rows.forEach((row, i) => {
    const ours = migrations[i];
    const theirs = `${row.id} (${String(row.name).slice(0, 64)})`;
    if (!ours) {
      throw new StoreError('MIGRATION_FAILED', `the database has migration ${theirs}, which this center does not know: it was migrated by a newer version (this one knows ${migrations.length})`);
    }
    if (row.id !== ours.id) {
      throw new StoreError('MIGRATION_FAILED', `the database has migration ${theirs} where this center expects ${ours.id} (${ours.name})`);
    }
    if (row.name !== ours.name) {
      throw new StoreError('MIGRATION_FAILED', `migration ${ours.id} is '${String(row.name).slice(0, 64)}' in the database but '${ours.name}' in this center`);
    }
  });
  return rows.length;
}

async function apply(tx: Sql, m: Migration): Promise<void> {
  try {
    await tx.query(m.sql);
  } catch (e) {
    const why = e instanceof QueryError ? e.message : String(e);
    throw new StoreError('MIGRATION_FAILED', `migration ${m.id} (${m.name}) failed: ${why}`);
  }
  await tx.query('INSERT INTO schema_migrations (id, name) VALUES ($1, $2)', [m.id, m.name]);
}

/** Our own list must be 1, 2, 3 … with names: a programming error otherwise. */
function checkList(migrations: readonly Migration[]): void {
  migrations.forEach((m, i) => {
    if (m.id !== i + 1 || !m.name) throw new StoreError('MIGRATION_FAILED', `migration list is out of order at position ${i + 1} (id ${m.id})`);
  });
}

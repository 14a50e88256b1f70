/**
 * The embedded store: PGlite (PostgreSQL compiled to WASM, in this process)
 * in a data directory (DESIGN §6, §7 "Embedded").
 *
 * PGlite has one connection, so everything (queries and transactions) goes
 * through one promise queue in order; `close` waits for it to drain. A
 * transaction must use the `tx` it is given: calling the Db itself from
 * inside one would wait behind the transaction forever.
 *
 * Only one process may open a data directory: it is locked with
 * `cardline.lock` (lock-file.ts) for as long as it is open.
 */
import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { PGlite, type Results, type Transaction } from '@electric-sql/pglite';
import type { Logger } from '../../common/log.js';
import { StoreError, type Db, type QueryResult, type Sql } from './db.js';
import { KeyQueue } from './key-queue.js';
import { acquireLockFile, LOCK_FILE, type LockFile } from './lock-file.js';
import { toQueryError } from './query-error.js';

type Runner = Pick<Transaction, 'query' | 'exec'>;

/** Opens (creating if needed) the PGlite store in `dataDir`. StoreError LOCKED when another live process has it. */
export async function openPglite(dataDir: string, logger: Logger): Promise<Db> {
  const log = logger.child('store');
  if (typeof dataDir !== 'string' || dataDir.trim() === '') throw new StoreError('OPEN_FAILED', 'the PGlite data directory is not given');
  // Absolute, so that PGlite never reads it as one of its URL schemes (memory://, idb://).
  const dir = resolve(dataDir);
  try {
    await mkdir(dir, { recursive: true, mode: 0o700 });
  } catch (e) {
    throw new StoreError('OPEN_FAILED', `cannot create the data directory ${dir} (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  const lock = await acquireLockFile(join(dir, LOCK_FILE), log);
  let pg: PGlite | undefined;
  try {
    pg = new PGlite(dir);
    await pg.waitReady;
  } catch (e) {
    await pg?.close().catch(() => undefined);
    await lock.release();
    throw new StoreError('OPEN_FAILED', `cannot open PGlite in ${dir}: ${describe(e)}`);
  }
  log.info('store opened', { kind: 'pglite', dataDir: dir });
  return new PgliteDb(pg, lock, log);
}

class PgliteDb implements Db {
  readonly kind = 'pglite' as const;
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;
  /** `withLock`: one process per data directory, so an in-process queue per key is the whole lock. */
  private readonly locks = new KeyQueue();

  constructor(
    private readonly pg: PGlite,
    private readonly lock: LockFile,
    private readonly logger: Logger,
  ) {}

  query<T = Record<string, unknown>>(text: string, params?: readonly unknown[]): Promise<QueryResult<T>> {
    return this.enqueue(() => runQuery<T>(this.pg, text, params));
  }

  transaction<T>(fn: (tx: Sql) => Promise<T>): Promise<T> {
    return this.enqueue(() =>
      // PGlite's transaction(): BEGIN, COMMIT, ROLLBACK when fn throws (then rethrows).
      this.pg.transaction(async (ptx) => {
        const tx = new TxSql(ptx);
        try {
          return await fn(tx);
        } finally {
          tx.end();
        }
      }),
    );
  }

  withLock<T>(key: string, fn: () => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(new StoreError('CLOSED', 'the store is closed'));
    return this.locks.run(key, fn);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.queue;
    await this.pg.close();
    await this.lock.release();
    this.logger.info('store closed', { kind: 'pglite' });
  }

  private enqueue<T>(work: () => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(new StoreError('CLOSED', 'the store is closed'));
    const run = this.queue.then(work);
    // The queue moves on whether `work` succeeded or not; the caller gets the outcome.
    this.queue = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }
}

/** PGlite may reject with a non-Error (an Emscripten exit status): say what it was. */
function describe(e: unknown): string {
  if (e instanceof Error) return e.message;
  const o = e as { message?: unknown; name?: unknown; status?: unknown } | null;
  if (typeof o?.message === 'string') return o.message;
  if (typeof o?.name === 'string') return typeof o.status === 'number' ? `${o.name} ${o.status}` : o.name;
  return typeof e === 'string' ? e : 'unknown failure';
}

/** The `tx` handed to a transaction's function; unusable once the transaction is over. */
class TxSql implements Sql {
  private over = false;
  constructor(private readonly ptx: Runner) {}
  query<T = Record<string, unknown>>(text: string, params?: readonly unknown[]): Promise<QueryResult<T>> {
    if (this.over) return Promise.reject(new StoreError('CLOSED', 'the transaction is over'));
    return runQuery<T>(this.ptx, text, params);
  }
  end(): void {
    this.over = true;
  }
}

/**
 * One statement with parameters (extended protocol), or, without parameters,
 * one or more statements (simple protocol, as node-postgres does): a
 * migration is a script. The result is the last statement's.
 */
async function runQuery<T>(runner: Runner, text: string, params?: readonly unknown[]): Promise<QueryResult<T>> {
  try {
    if (params === undefined || params.length === 0) {
      const all = await runner.exec(text);
      return toResult<T>(all[all.length - 1]);
    }
    return toResult<T>(await runner.query<T>(text, [...params]));
  } catch (e) {
    throw toQueryError(e);
  }
}

function toResult<T>(r: Results<unknown> | undefined): QueryResult<T> {
  if (!r) return { rows: [], rowCount: 0 };
  // PGlite returns bytea as Uint8Array already (STORE conventions, db.ts).
  const rows = r.rows as T[];
  return { rows, rowCount: r.rowCount ?? r.affectedRows ?? rows.length };
}

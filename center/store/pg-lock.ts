/**
 * `Db.withLock` on PostgreSQL: a named lock that holds across every process
 * on the database (the center's workers, issue 6), as a session-level
 * advisory lock (PostgreSQL §13.3.5, pg_advisory_lock) taken on a
 * connection of a small pool of its own and held for as long as the task
 * runs, then released (pg_advisory_unlock) in `finally`.
 *
 * - A worker that dies (kill -9) closes its connections with it; the server
 *   ends their sessions and every advisory lock they held is released, so
 *   another worker takes the lock over without any clean-up.
 * - The task itself queries through the main pool, never the lock
 *   connection: a lock connection never waits for a connection of its own
 *   pool, so holding locks cannot starve the queries that end them.
 * - In-process, the same key first goes through a KeyQueue: one lock
 *   connection per key and process at most.
 * - A wait longer than `lockWaitMs` (a frozen holder: its connection stays
 *   open) fails with StoreError LOCKED (SQLSTATE 55P03, lock_timeout).
 * - A lock connection that fails while held (server restart, network,
 *   pg_terminate_backend, idle_session_timeout) loses the lock with it: its
 *   'error' is caught (pg-pool listens only to idle clients), logged as a
 *   warning, the task runs on and the connection is discarded after it.
 *   Row locks in the task's transactions keep their own guarantees; this
 *   lock only orders work.
 */
import pg from 'pg';
import type { Logger } from '../../common/log.js';
import { StoreError } from './db.js';
import { KeyQueue } from './key-queue.js';
import { QueryError, toQueryError } from './query-error.js';

/** The advisory lock's first key: "CRDK" as an int4, so these locks meet neither the migration lock (one int8 key) nor another user's. */
export const KEY_LOCK_CLASS = 0x4352444b;

export interface PgLockOptions {
  /** Lock connections in this process (default 10): how many keys it can hold at once. */
  connections: number;
  /** Longest wait for a lock held elsewhere (ms). */
  lockWaitMs: number;
}

export class PgKeyLocks {
  readonly #queue = new KeyQueue();
  readonly #pool: pg.Pool;
  readonly #log: Logger;

  constructor(config: pg.PoolConfig, opts: PgLockOptions, log: Logger) {
    this.#log = log;
    this.#pool = new pg.Pool({ ...config, max: opts.connections, lock_timeout: opts.lockWaitMs });
    this.#pool.on('error', (err) => log.error('idle lock connection failed', { error: toQueryError(err) }));
  }

  withLock<T>(key: string, fn: () => Promise<T>): Promise<T> {
    return this.#queue.run(key, () => this.#held(key, fn));
  }

  async #held<T>(key: string, fn: () => Promise<T>): Promise<T> {
    let client: pg.PoolClient;
    try {
      client = await this.#pool.connect();
    } catch (e) {
      throw toQueryError(e);
    }
    try {
      await client.query('SELECT pg_advisory_lock($1, hashtext($2))', [KEY_LOCK_CLASS, key]);
    } catch (e) {
      client.release(true);
      const err = toQueryError(e);
      // 55P03 lock_not_available: lock_timeout ran out while another session held it.
      if (err instanceof QueryError && err.sqlState === '55P03') throw new StoreError('LOCKED', `lock ${key} is held elsewhere`);
      throw err;
    }
    let broken = false;
    // pg-pool takes its own 'error' listener off a checked-out client: without one, a session the server ends
    // while fn runs (pg_terminate_backend, restart, idle_session_timeout) is an uncaughtException in the worker.
    const onError = (e: Error): void => {
      if (broken) return;
      broken = true;
      this.#log.warn('a lock connection failed while it held a lock', { key, error: toQueryError(e) });
    };
    client.on('error', onError);
    try {
      return await fn();
    } finally {
      if (!broken) await this.#unlock(client, key, onError);
      client.removeListener('error', onError);
      client.release(broken);
    }
  }

  /** Releases `key` on `client`; a failure or a lock no longer held marks the connection broken (through `fail`). */
  async #unlock(client: pg.PoolClient, key: string, fail: (e: Error) => void): Promise<void> {
    try {
      const r = await client.query<{ released: boolean }>('SELECT pg_advisory_unlock($1, hashtext($2)) AS released', [KEY_LOCK_CLASS, key]);
      if (r.rows[0]?.released !== true) fail(new Error('the lock was no longer held at its release'));
    } catch (e) {
      fail(e instanceof Error ? e : new Error(String(e)));
    }
  }

  async close(): Promise<void> {
    await this.#pool.end();
  }
}

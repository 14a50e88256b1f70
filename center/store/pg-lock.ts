/**
 * `Db.withLock` on PostgreSQL: a named lock that holds across every process
 * on the database (the center's workers, issue 6), as a session-level
 * advisory lock (PostgreSQL §13.3.5) taken on a connection of a small pool
 * of its own and held for as long as the task runs, then released
 * (pg_advisory_unlock) in `finally`.
 *
 * - A lock held elsewhere is waited for in the server's own queue, but in
 *   slices: the first try is pg_try_advisory_lock; after it, a blocking
 *   pg_advisory_lock that the connection's lock_timeout (WAIT_SLICE_MS)
 *   ends, after which the connection goes back to the pool and the wait
 *   starts again. Queued in the server, a waiter is served before a later
 *   try of the holder (a try conflicts with waiting requests too), so a
 *   worker that releases and re-takes a kiosk's lock while it waits for a
 *   predecessor (bridge.ts) cannot starve the worker that holds that
 *   predecessor. And a connection is held at most one slice by a waiter:
 *   a peer that holds (or is frozen holding) more keys than this process
 *   has lock connections never stops its other keys for long. Within one
 *   process the order is FIFO (KeyQueue below).
 * - A worker that dies (kill -9) closes its connections with it; the server
 *   ends their sessions and every advisory lock they held is released, so
 *   another worker takes the lock over without any clean-up.
 * - The task itself queries through the main pool, never the lock
 *   connection: a lock connection never waits for a connection of its own
 *   pool, so holding locks cannot starve the queries that end them.
 * - In-process, the same key first goes through a KeyQueue: one lock
 *   connection per key and process at most.
 * - A lock still held elsewhere, or no lock connection free, after
 *   `lockWaitMs` (a frozen holder: its connection stays open) fails with
 *   StoreError LOCK_TIMEOUT; nothing stays checked out or locked.
 * - A lock connection that fails while held (server restart, network,
 *   pg_terminate_backend, idle_session_timeout) loses the lock with it: its
 *   'error' is caught (pg-pool listens only to idle clients), logged as a
 *   warning, the task runs on and the connection is discarded after it.
 *   Row locks in the task's transactions keep their own guarantees; this
 *   lock only orders work.
 */
import pg from 'pg';
import { systemClock, type Clock } from '../../common/clock.js';
import type { Logger } from '../../common/log.js';
import { StoreError } from './db.js';
import { KeyQueue } from './key-queue.js';
import { toQueryError } from './query-error.js';

/** The advisory lock's first key: "CRDK" as an int4, so these locks meet neither the migration lock (one int8 key) nor another user's. */
export const KEY_LOCK_CLASS = 0x4352444b;

/** Longest single wait in the server's lock queue (ms): the lock connections' lock_timeout. */
const WAIT_SLICE_MS = 250;
/** SQLSTATE lock_not_available: a slice of the wait ran out. */
const LOCK_NOT_AVAILABLE = '55P03';
/** How much longer than the lock wait pg-pool's own connect timeout runs (ms). */
const CONNECT_GRACE_MS = 1_000;

export interface PgLockOptions {
  /** Lock connections in this process (default 10): how many keys it can hold at once. */
  connections: number;
  /** Longest wait for a lock held elsewhere, or for a free lock connection (ms). */
  lockWaitMs: number;
  /** Times the wait (default the system clock). */
  clock?: Clock;
}

export class PgKeyLocks {
  readonly #queue = new KeyQueue();
  readonly #pool: pg.Pool;
  readonly #log: Logger;
  readonly #clock: Clock;
  readonly #waitMs: number;

  constructor(config: pg.PoolConfig, opts: PgLockOptions, log: Logger) {
    this.#log = log;
    this.#clock = opts.clock ?? systemClock;
    this.#waitMs = opts.lockWaitMs;
    // connectionTimeoutMillis: a connect given up on (#connect, at lockWaitMs) still ends, even when the server
    // never answers; a second later than ours, so that a wait for a busy pool ends as LOCK_TIMEOUT, not as pg's timeout.
    this.#pool = new pg.Pool({
      ...config,
      max: opts.connections,
      connectionTimeoutMillis: opts.lockWaitMs + CONNECT_GRACE_MS,
      lock_timeout: Math.max(1, Math.min(WAIT_SLICE_MS, opts.lockWaitMs)),
    });
    this.#pool.on('error', (err) => log.error('idle lock connection failed', { error: toQueryError(err) }));
  }

  withLock<T>(key: string, fn: () => Promise<T>): Promise<T> {
    return this.#queue.run(key, () => this.#take(key, fn));
  }

  /** Tries the lock until it is ours (then runs `fn` holding it) or the wait is over. */
  async #take<T>(name: string, fn: () => Promise<T>): Promise<T> {
    const giveUpAt = this.#clock.now() + this.#waitMs;
    for (let first = true; ; first = false) {
      const client = await this.#connect(name, giveUpAt);
      let lost: Error | undefined;
      // pg-pool takes its own 'error' listener off a checked-out client: without one, a session the server ends
      // while we hold it (pg_terminate_backend, restart, idle_session_timeout) is an uncaughtException in the worker.
      const onError = (e: Error): void => {
        if (lost) return;
        lost = e;
        this.#log.warn('a lock connection failed while it held a lock', { lock: name, error: toQueryError(e) });
      };
      client.on('error', onError);
      const done = (): void => {
        client.removeListener('error', onError);
        client.release(lost !== undefined);
      };
      let got: boolean;
      try {
        if (first) {
          const r = await client.query<{ got: boolean }>('SELECT pg_try_advisory_lock($1, hashtext($2)) AS got', [KEY_LOCK_CLASS, name]);
          got = r.rows[0]?.got === true;
        } else {
          got = await this.#waitSlice(client, name);
        }
      } catch (e) {
        lost ??= e instanceof Error ? e : new Error(String(e));
        done();
        throw toQueryError(e);
      }
      if (got) {
        try {
          return await fn();
        } finally {
          if (!lost) await this.#unlock(client, name, onError);
          done();
        }
      }
      done();
      if (giveUpAt - this.#clock.now() <= 0) throw new StoreError('LOCK_TIMEOUT', `lock ${name} is still held elsewhere after ${this.#waitMs} ms`);
    }
  }

  /** One slice of the wait in the server's queue: true with the lock, false when lock_timeout ended the slice. */
  async #waitSlice(client: pg.PoolClient, key: string): Promise<boolean> {
    try {
      await client.query('SELECT pg_advisory_lock($1, hashtext($2))', [KEY_LOCK_CLASS, key]);
      return true;
    } catch (e) {
      if ((e as { code?: unknown }).code === LOCK_NOT_AVAILABLE) return false;
      throw e;
    }
  }

  /** A lock connection, or LOCK_TIMEOUT when none is free before `giveUpAt`; one that comes later goes back to the pool. */
  async #connect(key: string, giveUpAt: number): Promise<pg.PoolClient> {
    const stop = new AbortController();
    const pending = this.#pool.connect();
    const late = this.#clock.sleep(giveUpAt - this.#clock.now(), stop.signal).then(
      () => 'late' as const,
      () => 'late' as const,
    );
    try {
      const got = await Promise.race([pending, late]);
      if (got !== 'late') return got;
    } catch (e) {
      throw toQueryError(e);
    } finally {
      stop.abort();
    }
    void pending.then(
      (c) => c.release(),
      () => undefined,
    );
    throw new StoreError('LOCK_TIMEOUT', `no lock connection came free for ${key} within ${this.#waitMs} ms`);
  }

  /** Releases `key` on `client`; a failure, or a lock no longer held, marks the connection broken (through `fail`). */
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

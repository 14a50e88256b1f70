/**
 * The center's storage, behind one small interface with two implementations
 * (the MQTT.js store pattern, STYLE.md): PGlite in a data directory (the
 * embedded default, pglite.ts) and PostgreSQL through a pool (postgres.ts).
 * Both run the same SQL and the same migrations (migrations/).
 *
 * SQL conventions, so that both return the same JS values:
 * - parameters are $1, $2 …; bytea parameters are Uint8Array (returned as
 *   Uint8Array — PostgreSQL's Buffer is one);
 * - timestamps are `timestamptz`, passed and returned as Date;
 * - counters are `integer` (int4, returned as number); never select a
 *   bigint/int8 without `::int` (pg returns it as a string);
 * - JSON columns are `jsonb`, returned parsed.
 */
export interface QueryResult<T> {
  rows: T[];
  /** Rows affected by INSERT/UPDATE/DELETE. */
  rowCount: number;
}

export interface Sql {
  query<T = Record<string, unknown>>(text: string, params?: readonly unknown[]): Promise<QueryResult<T>>;
}

export interface Db extends Sql {
  readonly kind: 'pglite' | 'postgres';
  /**
   * Runs `fn` in one transaction (BEGIN … COMMIT; ROLLBACK when it throws,
   * then rethrows). Transactions are serialized on PGlite (one connection)
   * and isolated (READ COMMITTED, with row locks where the caller takes
   * them) on PostgreSQL.
   */
  transaction<T>(fn: (tx: Sql) => Promise<T>): Promise<T>;
  /**
   * Runs `fn` holding the lock named `key`, released when `fn` settles
   * (returns or throws; its outcome is the caller's). Holders of one key
   * run one at a time, in the order they asked within a process; different
   * keys run concurrently. The bridge takes `kiosk:<id>` around every
   * message of that kiosk (center/bridge.ts).
   *
   * - PGlite (one process per data directory): an in-process queue per key.
   * - PostgreSQL: that queue, then a session advisory lock on a connection
   *   of its own (pg-lock.ts), so it holds across every process on the
   *   database; a process that dies releases its locks with its
   *   connections. A waiter holds no connection while the lock is held
   *   elsewhere; still held (or no lock connection free) after the store's
   *   lock wait (`lockWaitMs`), it fails with StoreError LOCK_TIMEOUT and
   *   `fn` does not run.
   *
   * Not re-entrant: `fn` must not ask for the same key again. `fn` queries
   * through the Db (or its own transactions), not through the lock.
   */
  withLock<T>(key: string, fn: () => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/**
 * LOCKED: a PGlite data directory held by a running center (lock-file.ts);
 * LOCK_TIMEOUT: `withLock` waited `lockWaitMs` for a key held elsewhere.
 */
export type StoreErrorCode = 'OPEN_FAILED' | 'UNREACHABLE' | 'LOCKED' | 'LOCK_TIMEOUT' | 'MIGRATION_FAILED' | 'QUERY_FAILED' | 'CLOSED';

export class StoreError extends Error {
  override readonly name = 'StoreError';
  constructor(
    readonly code: StoreErrorCode,
    message: string,
  ) {
    super(`${code}: ${message}`);
  }
}

/** Where the store lives: a PGlite data directory or a PostgreSQL URL. */
export type StoreLocation = { dataDir: string } | { url: string; /** Pool connections (default 10). */ pool?: number; /** `withLock` connections (default 10): how many kiosks' messages one process handles at once. */ lockConnections?: number };

/**
 * The production store: PostgreSQL through a node-postgres pool (DESIGN §6,
 * §7 "Site" and "Fleet"). Transactions each take a pooled connection and run
 * concurrently (READ COMMITTED); callers serialize where they must with row
 * locks (SELECT … FOR UPDATE), as the audit log does on its head.
 *
 * Values follow db.ts: bytea comes back as Buffer (a Uint8Array), and int8
 * as a number when it is a safe integer, as a bigint otherwise (what PGlite
 * does), never as a string. The parser is set on this pool only, not on
 * pg's global type table.
 */
import pg from 'pg';
import type { Logger } from '../../common/log.js';
import { StoreError, type Db, type QueryResult, type Sql } from './db.js';
import { PgKeyLocks } from './pg-lock.js';
import { parsePostgresUrl } from './pg-url.js';
import { toQueryError } from './query-error.js';

export interface PostgresOptions {
  /** Connections in the pool (default 10). */
  max?: number;
  /** Connections for `withLock` (pg-lock.ts), besides the pool (default 10). */
  lockConnections?: number;
  /** Longest wait for a lock another process holds (ms, default 30 000: an up message's lifetime). */
  lockWaitMs?: number;
}


/** Opens a pool on `url` and checks one connection works. StoreError OPEN_FAILED otherwise (the password is never shown). */
export async function openPostgres(url: string, logger: Logger, opts: PostgresOptions = {}): Promise<Db> {
  const target = parsePostgresUrl(url);
  const max = opts.max ?? 10;
  if (!Number.isInteger(max) || max < 1 || max > 1000) throw new StoreError('OPEN_FAILED', `pool size ${max} is not 1..1000`);
  const lockConnections = opts.lockConnections ?? 10;
  if (!Number.isInteger(lockConnections) || lockConnections < 1 || lockConnections > 1000) throw new StoreError('OPEN_FAILED', `lock connections ${lockConnections} is not 1..1000`);
  const lockWaitMs = opts.lockWaitMs ?? 30_000;
  if (!Number.isInteger(lockWaitMs) || lockWaitMs < 1) throw new StoreError('OPEN_FAILED', `lock wait ${lockWaitMs} ms is not a positive integer`);
  const log = logger.child('store');
  const config: pg.PoolConfig = { connectionString: target.url, types: { getTypeParser: typeParser } };
  const pool = new pg.Pool({ ...config, max });
  // An idle connection that fails (server restart, network) must not crash the center: log it, the pool replaces it.
  pool.on('error', (err) => log.error('idle PostgreSQL connection failed', { server: target.display, error: toQueryError(err) }));
  try {
    await pool.query('SELECT 1');
  } catch (e) {
    await pool.end().catch(() => undefined);
    // A refused connection on Node 20 can be an AggregateError with an empty message: fall back to its code.
    const err = e as { message?: unknown; code?: unknown };
    const why = target.scrub(typeof err.message === 'string' && err.message !== '' ? err.message : typeof err.code === 'string' ? err.code : 'connection failed');
    // No server answered, or it is starting up (57P03): retry later. Anything else (auth, no such database) is configuration.
    const transient = typeof err.code === 'string' && TRANSIENT_CONNECT.has(err.code);
    throw new StoreError(transient ? 'UNREACHABLE' : 'OPEN_FAILED', `cannot connect to ${target.display}: ${why}`);
  }
  log.info('store opened', { kind: 'postgres', server: target.display, max, lockConnections });
  return new PostgresDb(pool, new PgKeyLocks(config, { connections: lockConnections, lockWaitMs }, log), log);
}

/** Connection errors that say "no server (yet)", not "wrong configuration": errno codes and PostgreSQL's cannot_connect_now. */
const TRANSIENT_CONNECT: ReadonlySet<string> = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', '57P03']);

/** pg's own parsers, except int8 (pg leaves it a string, which db.ts rules out). */
const typeParser: typeof pg.types.getTypeParser = (oid, format) => (oid === pg.types.builtins.INT8 ? parseInt8 : (pg.types.getTypeParser(oid, format) as unknown));

function parseInt8(text: string): number | bigint {
  const n = Number(text);
  return Number.isSafeInteger(n) ? n : BigInt(text);
}

class PostgresDb implements Db {
  readonly kind = 'postgres' as const;
  private closed = false;

  constructor(
    private readonly pool: pg.Pool,
    private readonly locks: PgKeyLocks,
    private readonly logger: Logger,
  ) {}

  withLock<T>(key: string, fn: () => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(new StoreError('CLOSED', 'the store is closed'));
    return this.locks.withLock(key, fn);
  }

  query<T = Record<string, unknown>>(text: string, params?: readonly unknown[]): Promise<QueryResult<T>> {
    if (this.closed) return Promise.reject(new StoreError('CLOSED', 'the store is closed'));
    return runQuery<T>(this.pool, text, params);
  }

  async transaction<T>(fn: (tx: Sql) => Promise<T>): Promise<T> {
    if (this.closed) throw new StoreError('CLOSED', 'the store is closed');
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (e) {
      throw toQueryError(e);
    }
    // A connection whose ROLLBACK failed is in an unknown state: destroy it rather than return it to the pool.
    let broken = false;
    const tx = new TxSql(client);
    try {
      await runQuery(client, 'BEGIN');
      const result = await fn(tx);
      await runQuery(client, 'COMMIT');
      return result;
    } catch (e) {
      await runQuery(client, 'ROLLBACK').catch(() => {
        broken = true;
      });
      throw e;
    } finally {
      tx.end();
      client.release(broken);
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.locks.close();
    await this.pool.end();
    this.logger.info('store closed', { kind: 'postgres' });
  }
}

/** The `tx` handed to a transaction's function; unusable once the transaction is over. */
class TxSql implements Sql {
  private over = false;
  constructor(private readonly client: pg.PoolClient) {}
  query<T = Record<string, unknown>>(text: string, params?: readonly unknown[]): Promise<QueryResult<T>> {
    if (this.over) return Promise.reject(new StoreError('CLOSED', 'the transaction is over'));
    return runQuery<T>(this.client, text, params);
  }
  end(): void {
    this.over = true;
  }
}

type Queryable = Pick<pg.Pool, 'query'> | Pick<pg.PoolClient, 'query'>;

/** Without parameters pg uses the simple protocol, so a script may hold several statements: the last result counts. */
async function runQuery<T>(on: Queryable, text: string, params?: readonly unknown[]): Promise<QueryResult<T>> {
  try {
    const res = (await on.query(text, params && params.length > 0 ? [...params] : undefined)) as pg.QueryResult | pg.QueryResult[];
    const last = Array.isArray(res) ? res[res.length - 1] : res;
    if (!last) return { rows: [], rowCount: 0 };
    return { rows: last.rows as T[], rowCount: last.rowCount ?? 0 };
  } catch (e) {
    throw toQueryError(e);
  }
}

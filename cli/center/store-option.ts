/** The `--data DIR | --database URL` choice every center command shares, decoded once. */
import type { StoreLocation } from '../../center/store/db.js';
import { UsageError, type OptionSpec, type ParsedOptions } from '../command.js';

export const STORE_OPTIONS: Record<string, OptionSpec> = {
  data: { type: 'string', arg: 'DIR', description: 'PGlite data directory (the embedded default; one process at a time)' },
  database: { type: 'string', arg: 'URL', description: 'PostgreSQL URL (postgres://user@host:port/db) instead of --data' },
  'db-pool': { type: 'string', arg: 'N', description: 'with --database: connections in the pool, 1..1000 (default 10)' },
  'db-lock-connections': { type: 'string', arg: 'N', description: 'with --database: connections holding kiosk locks, 1..1000 (default 10): how many kiosks one worker serves at once (docs/deploy.md)' },
  pki: { type: 'string', arg: 'DIR', description: 'PKI directory made by `cardline pki init` (center keys, TLS)' },
};

/** A `--db-…` count: an integer 1..1000, only with --database. */
function connections(opts: ParsedOptions, name: 'db-pool' | 'db-lock-connections'): number | undefined {
  const v = opts[name];
  if (v === undefined) return undefined;
  if (typeof opts.database !== 'string') throw new UsageError(`--${name} applies to --database only`);
  if (typeof v !== 'string' || !/^[0-9]{1,4}$/.test(v) || Number(v) < 1 || Number(v) > 1000) throw new UsageError(`--${name} must be an integer 1..1000`);
  return Number(v);
}

export function storeLocation(opts: ParsedOptions): StoreLocation {
  const data = opts.data;
  const url = opts.database;
  if (typeof data === 'string' && typeof url === 'string') throw new UsageError('give --data or --database, not both');
  const pool = connections(opts, 'db-pool');
  const lockConnections = connections(opts, 'db-lock-connections');
  if (typeof url === 'string') {
    if (!/^postgres(ql)?:\/\//.test(url)) throw new UsageError('--database must be a postgres:// URL');
    return { url, ...(pool !== undefined ? { pool } : {}), ...(lockConnections !== undefined ? { lockConnections } : {}) };
  }
  if (typeof data === 'string' && data.length > 0) return { dataDir: data };
  throw new UsageError('--data DIR or --database URL is required');
}

export function pkiDir(opts: ParsedOptions): string {
  const dir = opts.pki;
  if (typeof dir !== 'string' || dir.length === 0) throw new UsageError('--pki DIR is required');
  return dir;
}

export { cryptoRandom } from '../random.js';

/** The `--data DIR | --database URL` choice every center command shares, decoded once. */
import type { StoreLocation } from '../../center/store/db.js';
import { UsageError, type OptionSpec, type ParsedOptions } from '../command.js';

export const STORE_OPTIONS: Record<string, OptionSpec> = {
  data: { type: 'string', arg: 'DIR', description: 'PGlite data directory (the embedded default; one process at a time)' },
  database: { type: 'string', arg: 'URL', description: 'PostgreSQL URL (postgres://user@host:port/db) instead of --data' },
  pki: { type: 'string', arg: 'DIR', description: 'PKI directory made by `cardline pki init` (center keys, TLS)' },
};

export function storeLocation(opts: ParsedOptions): StoreLocation {
  const data = opts.data;
  const url = opts.database;
  if (typeof data === 'string' && typeof url === 'string') throw new UsageError('give --data or --database, not both');
  if (typeof url === 'string') {
    if (!/^postgres(ql)?:\/\//.test(url)) throw new UsageError('--database must be a postgres:// URL');
    return { url };
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

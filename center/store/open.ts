/**
 * Opens the center's store where the configuration says (DESIGN §6): a
 * PGlite data directory or a PostgreSQL URL, then brings its schema up to
 * date. The URL is validated in openPostgres (postgres:// or postgresql://
 * only; errors never show its password).
 */
import type { Logger } from '../../common/log.js';
import { StoreError, type Db, type StoreLocation } from './db.js';
import { migrate } from './migrate.js';
import { openPglite } from './pglite.js';
import { openPostgres } from './postgres.js';

export async function openStore(location: StoreLocation, logger: Logger): Promise<Db> {
  const db = await openBackend(location, logger);
  try {
    await migrate(db, logger);
  } catch (e) {
    await db.close();
    throw e;
  }
  return db;
}

function openBackend(location: StoreLocation, logger: Logger): Promise<Db> {
  const l = location as Partial<Record<'dataDir' | 'url', unknown>>;
  const hasDir = l.dataDir !== undefined;
  const hasUrl = l.url !== undefined;
  if (hasDir === hasUrl) return Promise.reject(new StoreError('OPEN_FAILED', 'give exactly one of a data directory and a database URL'));
  if (hasDir) return openPglite(String(l.dataDir), logger);
  const { pool, lockConnections } = location as Extract<StoreLocation, { url: string }>;
  return openPostgres(String(l.url), logger, { ...(pool !== undefined ? { max: pool } : {}), ...(lockConnections !== undefined ? { lockConnections } : {}) });
}

/**
 * Runs an administrative action directly against the center's store and
 * keys, without a running center (PGlite allows one process at a time: its
 * lock file tells the operator when the center holds the directory; with
 * PostgreSQL both may run at once).
 */
import { MerkleAuditLog } from '../../center/audit/audit-log.js';
import type { AuditLog } from '../../center/audit/types.js';
import { loadCenterKeys, type CenterKeys } from '../../center/keys.js';
import type { Db, StoreLocation } from '../../center/store/db.js';
import { openStore } from '../../center/store/open.js';
import type { CommandContext } from '../command.js';

export interface OfflineCenter {
  db: Db;
  audit: AuditLog;
  keys: CenterKeys;
}

export async function withOfflineCenter<T>(ctx: CommandContext, pki: string, store: StoreLocation, fn: (c: OfflineCenter) => Promise<T>): Promise<T> {
  const keys = await loadCenterKeys(pki);
  try {
    const db = await openStore(store, ctx.logger);
    try {
      const audit = new MerkleAuditLog({ signingKey: keys.signingKey, clock: ctx.clock, logger: ctx.logger });
      return await fn({ db, audit, keys });
    } finally {
      await db.close();
    }
  } finally {
    keys.dispose();
  }
}

/**
 * Meters the center's store for the bench: how many calls reach it (each
 * top-level query or transaction is one turn on PGlite's single connection,
 * center/store/pglite.ts) and for how long at least one was outstanding.
 * It wraps the methods of the one Db instance the running center shares
 * between its bridge and handlers; `stop` puts them back.
 */
import type { Db, Sql } from '../../center/store/db.js';

export interface DbMeter {
  calls(): number;
  /** Milliseconds during which the store had work queued or running. */
  busyMs(): number;
  stop(): void;
}

export function meterDb(db: Db): DbMeter {
  const query: Db['query'] = db.query.bind(db);
  const transaction: Db['transaction'] = db.transaction.bind(db);
  let calls = 0;
  let outstanding = 0;
  let since = 0;
  let busy = 0;
  const track = async <T>(p: () => Promise<T>): Promise<T> => {
    calls++;
    if (outstanding++ === 0) since = performance.now();
    try {
      return await p();
    } finally {
      if (--outstanding === 0) busy += performance.now() - since;
    }
  };
  db.query = <T>(text: string, params?: readonly unknown[]) => track(() => query<T>(text, params));
  db.transaction = <T>(fn: (tx: Sql) => Promise<T>) => track(() => transaction(fn));
  return {
    calls: () => calls,
    busyMs: () => busy + (outstanding > 0 ? performance.now() - since : 0),
    stop: () => {
      db.query = query;
      db.transaction = transaction;
    },
  };
}

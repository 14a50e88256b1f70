/**
 * Which worker acts for the fleet (issue 6; review point 1). With an
 * external broker, every worker sees every kiosk's presence (retained
 * `kiosk/+/state`) while a kiosk's up messages reach one worker of the
 * shared subscription: were every worker's fleet watcher to act, a
 * decommissioned kiosk would get one `decommission` per worker and a
 * renewal one `renew` per worker. So one worker leads: it runs the
 * watcher's passes (watcher.ts) and the dynsec reconciler's passes
 * (broker/external/start.ts); the others leave them to it. A revocation's
 * own kick stays with whoever revokes (revoke.ts).
 *
 * The leader holds a session-level advisory lock (PostgreSQL §13.3.5,
 * pg_try_advisory_lock) on a connection of its own, in the class of
 * store/pg-lock.ts under the key `fleet:leader`. It is taken without
 * waiting (a follower asks again at its next pass) and kept as long as that
 * connection lives: a leader that dies or loses its connection ends its
 * session, the server releases the lock, and the next worker to ask takes
 * over. A leader that sees its connection fail stops leading at once.
 *
 * With the embedded broker (each center acts on its own broker's kiosks)
 * or on PGlite (one process), every center leads (`soleLeader`).
 */
import pg from 'pg';
import type { Logger } from '../../common/log.js';
import { KEY_LOCK_CLASS } from '../store/pg-lock.js';
import { parsePostgresUrl } from '../store/pg-url.js';
import { toQueryError } from '../store/query-error.js';

export const LEADER_KEY = 'fleet:leader';

export interface FleetLeader {
  /** Whether this worker leads now: true while it holds the lock, else it tries to take it (never waits for it). */
  acquire(): Promise<boolean>;
  /** What the last acquire found (no query). */
  readonly leading: boolean;
  /** Gives the lead up (its connection ends); acquire answers false from then on. */
  close(): Promise<void>;
}

export function soleLeader(): FleetLeader {
  let closed = false;
  return {
    acquire: () => Promise.resolve(!closed),
    get leading() {
      return !closed;
    },
    close: () => Promise.resolve(void (closed = true)),
  };
}

/** The leader for a center: the lock on PostgreSQL with an external broker, else soleLeader. */
export function fleetLeader(store: { url: string } | { dataDir: string }, broker: 'embedded' | 'external', logger: Logger): FleetLeader {
  return broker === 'external' && 'url' in store ? new PgFleetLeader(store.url, logger) : soleLeader();
}

export class PgFleetLeader implements FleetLeader {
  #client: pg.Client | undefined;
  #leading = false;
  #closed = false;
  #busy: Promise<boolean> | undefined;
  readonly #url: string;
  readonly #log: Logger;

  constructor(url: string, logger: Logger) {
    this.#url = parsePostgresUrl(url).url;
    this.#log = logger.child('fleet');
  }

  get leading(): boolean {
    return this.#leading;
  }

  acquire(): Promise<boolean> {
    return (this.#busy ??= this.#try().finally(() => (this.#busy = undefined)));
  }

  async #try(): Promise<boolean> {
    if (this.#closed) return false;
    if (this.#leading) return true;
    let c = this.#client;
    try {
      c ??= await this.#connect();
      const r = await c.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1, hashtext($2)) AS ok', [KEY_LOCK_CLASS, LEADER_KEY]);
      if (r.rows[0]?.ok === true && this.#client === c) {
        this.#leading = true;
        this.#log.info('this worker leads the fleet now (watcher and dynsec reconciler)');
      }
    } catch (e) {
      if (c) this.#lost(c, e);
    }
    return this.#leading;
  }

  async #connect(): Promise<pg.Client> {
    const c = new pg.Client({ connectionString: this.#url, keepAlive: true, connectionTimeoutMillis: 10_000 });
    // A connection that fails (server restart, the session terminated) takes the lock with it.
    c.on('error', (e) => this.#lost(c, e));
    c.on('end', () => this.#lost(c, undefined));
    this.#client = c;
    try {
      await c.connect();
    } catch (e) {
      this.#lost(c, e);
      throw e;
    }
    return c;
  }

  #lost(c: pg.Client | undefined, e: unknown): void {
    if (c === undefined || this.#client !== c) return;
    this.#client = undefined;
    c.end().catch(() => undefined);
    if (this.#closed) return;
    const error = e === undefined ? undefined : toQueryError(e);
    if (this.#leading) this.#log.warn('fleet lead lost: its PostgreSQL connection ended (another worker takes over)', error ? { error } : {});
    else this.#log.warn('fleet lead: the PostgreSQL connection failed (asked again at the next pass)', error ? { error } : {});
    this.#leading = false;
  }

  async close(): Promise<void> {
    this.#closed = true;
    await this.#busy?.catch(() => undefined);
    const c = this.#client;
    this.#client = undefined;
    this.#leading = false;
    await c?.end().catch(() => undefined);
  }
}

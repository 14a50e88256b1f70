/**
 * Pushing a changed reader registry to connected kiosks (DESIGN §3 step 2;
 * docs/reader-auth.md "Updates"). Every session records the registry
 * version it last received (`sessions.registry_version`: the welcome's, or
 * a push's). A session that is current, of an active kiosk, and holds an
 * older version than `registry_versions` gets the new signed registry as a
 * `registry` down message, in the kiosk's queue of the bridge so that it
 * never interleaves with the handling of that kiosk's messages.
 *
 * Who calls `sweep`: the running center right after its own `readers.add` /
 * `readers.remove` (center.ts), and a periodic check (`registryPollMs`) for
 * changes made by another process — `cardline center readers add|remove`
 * against PostgreSQL while the center runs. (With PGlite the directory is
 * locked, so the CLI runs only while the center is stopped, and the kiosk
 * gets the new registry in the welcome of its next session.)
 *
 * A session whose kiosk has gone away still counts as current until its
 * next hello; a push to it is lost with no harm, since that hello's welcome
 * carries the registry again.
 */
import type { Clock } from '../common/clock.js';
import type { Logger } from '../common/log.js';
import type { DownBody, DownType } from '../wire/messages.js';
import { signedReaderRegistry } from './registry.js';
import type { Sql } from './store/db.js';

export interface RegistryPushDeps {
  db: Sql;
  clock: Clock;
  logger: Logger;
  signingKey: Uint8Array;
  /** The bridge's `exclusive`: runs a task in the kiosk's queue. */
  exclusive<T>(kiosk: string, task: () => Promise<T>): Promise<T>;
  /** The bridge's `send` on a given session. */
  send<T extends DownType>(kiosk: string, session: string, type: T, body: DownBody<T>): Promise<void>;
}

interface Behind {
  session: string;
  kiosk: string;
}

const BEHIND_SQL = `
SELECT s.id AS session, s.kiosk_id AS kiosk
  FROM sessions s
  JOIN registry_versions rv ON rv.kiosk_id = s.kiosk_id
  JOIN kiosks k ON k.id = s.kiosk_id
 WHERE s.current AND k.status = 'active' AND s.registry_version IS NOT NULL AND s.registry_version < rv.version`;

export class RegistryPush {
  private readonly log: Logger;

  constructor(private readonly deps: RegistryPushDeps) {
    this.log = deps.logger.child('registry-push');
  }

  /** Pushes the current registry to every session that holds an older one (of `kiosk` only, when given). Resolves with the number pushed. */
  async sweep(kiosk?: string): Promise<number> {
    const r = kiosk === undefined ? await this.deps.db.query<Behind>(BEHIND_SQL) : await this.deps.db.query<Behind>(`${BEHIND_SQL} AND s.kiosk_id = $1`, [kiosk]);
    let pushed = 0;
    for (const row of r.rows) {
      if (await this.deps.exclusive(row.kiosk, () => this.pushOne(row))) pushed++;
    }
    return pushed;
  }

  /** In the kiosk's queue: checks again (a hello may have answered meanwhile), signs, sends, records. */
  private async pushOne(row: Behind): Promise<boolean> {
    const still = await this.deps.db.query<{ registry_version: number; version: number }>(
      `SELECT s.registry_version, rv.version FROM sessions s JOIN registry_versions rv ON rv.kiosk_id = s.kiosk_id JOIN kiosks k ON k.id = s.kiosk_id
        WHERE s.id = $1 AND s.current AND k.status = 'active' AND s.registry_version IS NOT NULL AND s.registry_version < rv.version`,
      [row.session],
    );
    const held = still.rows[0];
    if (!held) return false;
    const registry = await signedReaderRegistry(this.deps.db, row.kiosk, this.deps.signingKey, this.deps.clock.now());
    await this.deps.send(row.kiosk, row.session, 'registry', { registry: registry.signed });
    await this.deps.db.query('UPDATE sessions SET registry_version = $2 WHERE id = $1', [row.session, registry.version]);
    this.log.info('registry pushed', { kiosk: row.kiosk, from: held.registry_version, version: registry.version });
    return true;
  }

  /**
   * Sweeps every `intervalMs` until `signal` aborts; resolves then. A failed
   * sweep is logged and the next one tries again.
   */
  async run(intervalMs: number, signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      try {
        await this.deps.clock.sleep(intervalMs, signal);
      } catch {
        return;
      }
      await this.sweep().catch((e: unknown) => this.log.error('registry sweep failed', { error: e }));
    }
  }
}

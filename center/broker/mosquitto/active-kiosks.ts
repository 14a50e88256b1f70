/**
 * The kiosks the site broker admits: those the registry lists as active.
 * Revoked and decommissioned kiosks get no dynsec client, so the broker
 * gives them nothing even if their certificate is not (yet) on the CRL.
 */
import type { Sql } from '../../store/db.js';

export async function activeKioskIds(db: Sql): Promise<string[]> {
  const r = await db.query<{ id: string }>(`SELECT id FROM kiosks WHERE status = 'active' ORDER BY id`);
  return r.rows.map((row) => row.id);
}

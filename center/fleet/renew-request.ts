/**
 * An operator asks a kiosk to renew its certificate now (`cardline center
 * kiosks renew`, RunningCenter.requestRenewal): `kiosks.renew_requested_at`
 * is set, audited `kiosk.renew-requested`, in one transaction. The running
 * center asks the kiosk at once when it is connected to it, otherwise at
 * its next hello or when its fleet watcher sees the request (another
 * process on PostgreSQL). Cleared when the kiosk first connects with the
 * renewed certificate (admission.ts).
 */
import type { Clock } from '../../common/clock.js';
import type { AuditLog } from '../audit/types.js';
import { CenterError } from '../errors.js';
import type { Db } from '../store/db.js';

export async function markRenewalRequested(deps: { db: Db; audit: AuditLog; clock: Clock }, id: string): Promise<Date> {
  const now = new Date(deps.clock.now());
  await deps.db.transaction(async (tx) => {
    const r = await tx.query<{ status: string }>('SELECT status FROM kiosks WHERE id = $1 FOR UPDATE', [id]);
    const k = r.rows[0];
    if (!k) throw new CenterError('KIOSK_UNKNOWN', `no kiosk ${id}`);
    if (k.status !== 'active') throw new CenterError('KIOSK_INVALID', `kiosk ${id} is ${k.status}: it cannot renew`);
    await tx.query('UPDATE kiosks SET renew_requested_at = $2, updated_at = $2 WHERE id = $1', [id, now]);
    await deps.audit.append(tx, { kind: 'kiosk.renew-requested', kiosk: id, detail: {} });
  });
  return now;
}

/**
 * Decommissioning (docs/provisioning.md §4; issue 7 point 4): as revoke,
 * with status `decommissioned`, and first — when the kiosk is connected —
 * a signed `decommission` down message: the kiosk wipes its key store and
 * registry, reports `wiped` and stops. The center waits for that report or
 * the disconnect (at most `WIPE_WAIT_MS`; heard by any worker: wipe-wait.ts), then revokes (status,
 * certificates, CRL, kick). Audited `kiosk.decommissioned { wiped }` in the
 * same transaction as the status.
 */
import type { CenterDeps } from '../deps.js';
import { CenterError } from '../errors.js';
import { getKiosk } from '../registry.js';
import { currentSession } from '../sessions.js';
import { revokeKiosk } from './revoke.js';
import type { RevokeOutcome, WipeOutcome } from './state.js';
import { startWipeWait } from './wipe-wait.js';

export const WIPE_WAIT_MS = 10_000;

export interface DecommissionOutcome extends RevokeOutcome {
  /** The kiosk reported its store wiped (ok) during the wait. */
  wiped: boolean;
  /** Whether the `decommission` message was sent (the kiosk was connected). */
  told: boolean;
}

export async function decommissionKiosk(deps: CenterDeps, id: string, reason: string, waitMs = WIPE_WAIT_MS): Promise<DecommissionOutcome> {
  const mine = !deps.fleet.inHand.has(id);
  deps.fleet.inHand.add(id);
  try {
    return await decommissionHere(deps, id, reason, waitMs);
  } finally {
    if (mine) deps.fleet.inHand.delete(id);
  }
}

async function decommissionHere(deps: CenterDeps, id: string, reason: string, waitMs: number): Promise<DecommissionOutcome> {
  const k = await getKiosk(deps.db, id);
  if (!k) throw new CenterError('KIOSK_UNKNOWN', `no kiosk ${id}`);
  if (k.status === 'decommissioned') throw new CenterError('KIOSK_UNCHANGED', `kiosk ${id} is already decommissioned`);
  const log = deps.logger.child('fleet');
  const link = deps.fleet.link;
  let told = false;
  let outcome: WipeOutcome | undefined;
  const session = link?.isConnected(id) ? await currentSession(deps.db, id) : undefined;
  if (link && session !== undefined) {
    // Waiting starts before the message goes, so a quick `wiped` is not missed.
    const waiting = (await startWipeWait(deps, id, waitMs)).outcome;
    try {
      await link.send(id, session, 'decommission', { reason: reason.slice(0, 200) });
      told = true;
      log.info('kiosk told to wipe its store', { kiosk: id });
    } catch (e) {
      log.warn('the decommission message could not be sent', { kiosk: id, error: e });
      deps.fleet.wipes.notify(id, { kind: 'gone' });
    }
    outcome = await waiting;
  }
  const wiped = outcome?.kind === 'wiped' && outcome.ok;
  if (told) log.info('decommission wait over', { kiosk: id, outcome: outcome?.kind ?? 'none', wiped });
  const r = await revokeKiosk(deps, id, reason, {
    status: 'decommissioned',
    also: async (tx) => void (await deps.audit.append(tx, { kind: 'kiosk.decommissioned', kiosk: id, detail: { wiped, told, reason: reason.slice(0, 200) } })),
  });
  return { ...r, wiped, told };
}

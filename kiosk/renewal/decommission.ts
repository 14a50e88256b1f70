/**
 * `decommission` (docs/provisioning.md §4, issue 7 point 4): the center,
 * in a signed message, retires this kiosk. The kiosk wipes its key store —
 * current and pending, zero-filled, fsync'd, unlinked (keystore/wipe.ts) —
 * and its registry, reports `wiped` with the roles it could not remove,
 * and the agent stops (its in-memory secrets zeroized by `stop`), after
 * which `cardline kiosk` exits with code 4 (not 3, which means "retry later";
 * the unit does not restart it: RestartPreventExitStatus=4).
 *
 * `wiped` is signed with the signing key still in memory: the secrets are
 * zeroized after it is sent, not before. A link that is down by then does
 * not stop the wipe or the stop: the center sees the kiosk gone either way
 * (decommissioned kiosks are refused at CONNECT).
 */
import type { Logger } from '../../common/log.js';
import type { DownBody } from '../../wire/messages.js';
import { wipeKeyStore, type WipeConfig, type WipeReport, type ZeroedHook } from '../keystore/index.js';

export interface DecommissionOptions {
  config: WipeConfig;
  send(type: 'wiped', body: { ok: boolean; failed: string[] }): Promise<boolean>;
  logger: Logger;
  /** Test seam: sees each file once zero-filled, before its unlink. */
  onZeroed?: ZeroedHook;
}

export async function decommission(body: DownBody<'decommission'>, o: DecommissionOptions): Promise<WipeReport> {
  const log = o.logger.child('decommission');
  log.warn('decommissioned by the center: wiping the key store', { reason: body.reason });
  const report = await wipeKeyStore(o.config, { logger: log, ...(o.onZeroed ? { onZeroed: o.onZeroed } : {}) });
  const sent = await o.send('wiped', { ok: report.ok, failed: report.failed }).catch(() => false);
  log.warn('key store wiped', { ok: report.ok, removed: report.removed, failed: report.failed, reported: sent });
  return report;
}

/**
 * The fleet side of a running center, composed (center.ts calls it once the
 * broker and the bridge are up): links them to `deps.fleet`, starts the
 * watcher, and gives RunningCenter its revoke / decommission / renew.
 */
import type { DownBody, DownType } from '../../wire/messages.js';
import type { BrokerLink } from '../broker/link.js';
import type { CenterDeps, CenterLimits } from '../deps.js';
import { CenterError } from '../errors.js';
import type { Sql } from '../store/db.js';
import { currentSession } from '../sessions.js';
import { CrlFollower } from './crl.js';
import { decommissionKiosk, type DecommissionOutcome } from './decommission.js';
import { askRenewalIfDue } from './handlers.js';
import { markRenewalRequested } from './renew-request.js';
import { revokeKiosk } from './revoke.js';
import type { RevokeOutcome } from './state.js';
import { FleetWatcher } from './watcher.js';

export interface FleetOps {
  revokeKiosk(id: string, reason: string, also?: (tx: Sql) => Promise<void>): Promise<RevokeOutcome>;
  decommissionKiosk(id: string, reason: string): Promise<DecommissionOutcome>;
  /** Sets renew_requested_at; resolves with whether the connected kiosk was asked at once. */
  requestRenewal(id: string): Promise<{ asked: boolean }>;
  /** One pass of the watcher now (tests, and after an operator's change). */
  watch(): Promise<void>;
  stop(): Promise<void>;
}

export interface FleetBridge {
  exclusive<T>(kiosk: string, task: () => Promise<T>): Promise<T>;
  send<T extends DownType>(kiosk: string, session: string, type: T, body: DownBody<T>): Promise<void>;
}

export function startFleet(deps: CenterDeps, broker: BrokerLink, bridge: FleetBridge, brokerCrls: readonly string[] | undefined): FleetOps {
  const log = deps.logger.child('fleet');
  const crl = new CrlFollower(deps.fleet.pkiDir, (blocks) => broker.reloadCrl(blocks), deps.logger);
  if (brokerCrls !== undefined) crl.started(brokerCrls);
  const link = {
    crl,
    isConnected: (id: string) => broker.isKioskConnected(id),
    connectedKiosks: () => broker.connectedKiosks(),
    disconnect: (id: string) => broker.disconnectKiosk(id),
    send: <T extends DownType>(kiosk: string, session: string, type: T, body: DownBody<T>) => bridge.exclusive(kiosk, () => bridge.send(kiosk, session, type, body)),
  };
  const revoke = (id: string, reason: string, also?: (tx: Sql) => Promise<void>): Promise<RevokeOutcome> => revokeKiosk(deps, id, reason, also ? { also } : {});
  deps.fleet.attach(link, revoke);
  if (!deps.fleet.ca) log.warn('started without the issuing CA: renewals are refused and revocations do not reach the CRL');
  const watcher = new FleetWatcher(deps, link);
  const stopWatching = new AbortController();
  const watching = deps.limits.fleetPollMs > 0 ? watcher.run(deps.limits.fleetPollMs, stopWatching.signal) : Promise.resolve();
  return {
    revokeKiosk: revoke,
    decommissionKiosk: (id, reason) => decommissionKiosk(deps, id, reason),
    async requestRenewal(id) {
      const at = await markRenewalRequested(deps, id);
      const session = broker.isKioskConnected(id) ? await currentSession(deps.db, id) : undefined;
      if (session === undefined) return { asked: false };
      watcher.noteRequest(id, at);
      deps.fleet.renewals.forget(session);
      return { asked: await askRenewalIfDue(deps, id, session, (body) => link.send(id, session, 'renew', body)) };
    },
    watch: () => watcher.pass(),
    async stop() {
      stopWatching.abort();
      await watching;
      await watcher.drain();
      // The lead goes with the watcher: another worker takes it at its next pass.
      await deps.fleet.leader.close();
    },
  };
}

/** The fleet limits, checked once at start (CenterError CONFIG_INVALID naming the key). */
export function checkFleetLimits(l: Pick<CenterLimits, 'fleetPollMs' | 'renewBeforeDays' | 'certDays'>): void {
  const bad = (key: string, what: string): never => {
    throw new CenterError('CONFIG_INVALID', `limits.${key}: ${what}`);
  };
  if (!Number.isInteger(l.fleetPollMs) || l.fleetPollMs < 0 || l.fleetPollMs > 3_600_000) bad('fleetPollMs', 'an integer of 0..3600000 ms');
  if (!Number.isInteger(l.renewBeforeDays) || l.renewBeforeDays < 0 || l.renewBeforeDays > 365) bad('renewBeforeDays', 'an integer of 0..365');
  if (!Number.isInteger(l.certDays) || l.certDays < 1 || l.certDays > 825) bad('certDays', 'an integer of 1..825');
}

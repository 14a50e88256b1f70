/**
 * The center, composed (DESIGN §2, §7): the key store, the storage (PGlite
 * or PostgreSQL, migrated), the audit log, the broker side (broker/compose.ts:
 * the embedded Aedes with mutual TLS on loopback, or an external Mosquitto 2
 * with the dynamic-security plugin) and the bridge, which connects to that
 * broker as an MQTT client with the center's own certificate.
 */
import type { Clock } from '../common/clock.js';
import type { Logger } from '../common/log.js';
import { MerkleAuditLog } from './audit/audit-log.js';
import { startBrokerSide, type BrokerOption } from './broker/compose.js';
import { Bridge } from './bridge.js';
import { DEFAULT_SCRYPT, type ScryptParams } from './code-hash.js';
import { DEFAULT_LIMITS, type CenterDeps, type CenterLimits } from './deps.js';
import type { FleetCa } from './fleet/ca.js';
import type { DecommissionOutcome } from './fleet/decommission.js';
import { checkFleetLimits, startFleet, type FleetOps } from './fleet/start.js';
import { fleetLeader } from './fleet/leader.js';
import { FleetState, type RevokeOutcome } from './fleet/state.js';
import { dispatcher } from './handlers/index.js';
import { loadCenterKeys } from './keys.js';
import { RateLimiter } from './rate-limit.js';
import { addReader, removeReader, type NewReader } from './registry.js';
import { RegistryPush } from './registry-push.js';
import type { Db, Sql, StoreLocation } from './store/db.js';
import { openStore } from './store/open.js';

export interface CenterOptions {
  /** Directory laid out by `cardline pki init` (center keys and TLS material). */
  pkiDir: string;
  store: StoreLocation;
  /** Embedded broker address (without `broker`); it listens on loopback only by default. */
  host?: string;
  /** Embedded broker port (without `broker`): 0 picks a free port. Default 8883. */
  port?: number;
  /**
   * The broker (default: embedded on `host`:`port`). External: no broker
   * in this process; the bridge connects to `url` (mqtts://HOST:PORT, a
   * Mosquitto 2 with the dynamic-security plugin, docs/mosquitto.md),
   * `pidFile` is mosquitto's pid_file (SIGHUP reloads its CRL), `worker`
   * names this center process among the workers (client ID
   * `cardline-center-<worker>-<pid>`; default `main`).
   */
  broker?: BrokerOption;
  clock: Clock;
  logger: Logger;
  random: (n: number) => Uint8Array;
  scrypt?: ScryptParams;
  limits?: Partial<CenterLimits>;
  /**
   * The online issuing CA (center/fleet/ca.ts; the CLI passes
   * provisioning/pki/issuing.ts as cli/commands/fleet-ca.ts `pkiFleetCa`).
   * Without it renewals are refused and revocations stay out of the CRL.
   */
  fleetCa?: FleetCa;
}

export interface RunningCenter {
  /** Where kiosks connect: the embedded broker's port and URL, or the external broker's. */
  readonly port: number;
  readonly url: string;
  readonly brokerKind: 'embedded' | 'external';
  readonly deps: CenterDeps;
  /**
   * Reader-registry changes made by this process: each is one transaction
   * with its audit entry (registry.ts), then pushed at once to the kiosk if
   * it is connected. Resolve with the kiosk's new registry version.
   */
  readonly readers: {
    add(r: NewReader): Promise<number>;
    remove(r: { kiosk: string; id: string; reason?: string }): Promise<number>;
  };
  /** Pushes changed registries to connected kiosks now (what the periodic check does); resolves with the number pushed. */
  pushRegistries(kiosk?: string): Promise<number>;
  /**
   * Revokes a kiosk (docs/provisioning.md §4): status revoked and its
   * certificates, in one transaction with `also` and their audit entries;
   * then the CRL, the broker's reload, and the kick of its live connection.
   * CenterError KIOSK_UNKNOWN / KIOSK_UNCHANGED.
   */
  revokeKiosk(id: string, reason: string, also?: (tx: Sql) => Promise<void>): Promise<RevokeOutcome>;
  /** Tells a connected kiosk to wipe its store (waits up to 10 s for `wiped`), then revokes it as decommissioned. */
  decommissionKiosk(id: string, reason: string): Promise<DecommissionOutcome>;
  /** Sets renew_requested_at (audited) and asks the kiosk now when it is connected here. */
  requestRenewal(id: string): Promise<{ asked: boolean }>;
  /**
   * Brings the broker's per-kiosk access in line with the registry now: an
   * external broker's dynsec clients and roles (what a timer does every
   * second); nothing for the embedded broker, which asks at every CONNECT.
   */
  syncBroker(): Promise<void>;
  /** Resolves when every message received so far has been handled. */
  idle(): Promise<void>;
  stop(): Promise<void>;
}

export async function startCenter(opts: CenterOptions): Promise<RunningCenter> {
  const logger = opts.logger.child('center');
  const keys = await loadCenterKeys(opts.pkiDir);
  const cleanups: (() => Promise<void>)[] = [];
  try {
    const store: Db = await openStore(opts.store, logger);
    cleanups.push(() => store.close());
    const brokerOpt: BrokerOption = opts.broker ?? { kind: 'embedded', ...(opts.host !== undefined ? { host: opts.host } : {}), ...(opts.port !== undefined ? { port: opts.port } : {}) };
    // Embedded: sessions do not survive a center restart (one center process per store): a message still in flight from an old
    // session is refused (unknown-session) and the kiosk's next hello drives the recovery. External: other workers share the
    // store and serve those sessions now: they are not voided.
    if (brokerOpt.kind === 'embedded') await store.query('UPDATE sessions SET current = false WHERE current');
    const audit = new MerkleAuditLog({ signingKey: keys.signingKey, clock: opts.clock, logger });
    const limits = { ...DEFAULT_LIMITS, ...opts.limits };
    checkFleetLimits(limits);
    const deps: CenterDeps = {
      db: store,
      audit,
      clock: opts.clock,
      logger,
      keys,
      random: opts.random,
      scrypt: opts.scrypt ?? DEFAULT_SCRYPT,
      limits,
      requestLimiter: new RateLimiter(opts.clock, { limit: limits.requestsPerMinute, windowMs: 60_000 }),
      fleet: new FleetState({ pkiDir: opts.pkiDir, ca: opts.fleetCa, clock: opts.clock, leader: fleetLeader(opts.store, brokerOpt.kind, logger) }),
    };
    // The lead's connection (fleet/leader.ts), also when the start fails after the broker side asked for it.
    cleanups.unshift(() => deps.fleet.leader.close());
    const broker = await startBrokerSide(brokerOpt, { deps, store, audit, keys, clock: opts.clock, logger });
    cleanups.unshift(() => broker.close());
    const url = broker.url;
    const bridgeDeps = { db: store, audit, clock: opts.clock, logger, signingKey: keys.signingKey, auditKey: keys.auditKey, deadlineMs: limits.deadlineMs, maxInFlight: limits.maxInFlight, gapWaitMs: gapWaitFor(brokerOpt.kind, limits.gapWaitMs) };
    const bridge = new Bridge(broker.bridgeClient, { ...bridgeDeps, ...(broker.upFilter ? { upFilter: broker.upFilter } : {}), ...(broker.publisher ? { publisher: broker.publisher } : {}) }, dispatcher(deps));
    await bridge.start();
    const push = new RegistryPush({
      db: store,
      clock: opts.clock,
      logger,
      signingKey: keys.signingKey,
      exclusive: (kiosk, task) => bridge.exclusive(kiosk, task),
      send: (kiosk, session, type, body) => bridge.send(kiosk, session, type, body),
    });
    const pollStop = new AbortController();
    const polling = limits.registryPollMs > 0 ? push.run(limits.registryPollMs, pollStop.signal) : Promise.resolve();
    const stopPolling = async (): Promise<void> => {
      pollStop.abort();
      await polling;
    };
    cleanups.unshift(stopPolling);
    const fleet: FleetOps = startFleet(deps, broker.link, bridge, broker.startCrls);
    cleanups.unshift(() => fleet.stop());
    const registryDeps = { db: store, audit, clock: opts.clock };
    await store.transaction((tx) => audit.append(tx, { kind: 'center.started', detail: { port: broker.port, store: store.kind, broker: brokerOpt.kind } }));
    logger.info('center started', { url, store: store.kind, broker: brokerOpt.kind });
    let stopped = false;
    return {
      port: broker.port,
      url,
      brokerKind: brokerOpt.kind,
      deps,
      readers: {
        add: async (r) => {
          const version = await addReader(registryDeps, r);
          await push.sweep(r.kiosk);
          return version;
        },
        remove: async (r) => {
          const version = await removeReader(registryDeps, r);
          await push.sweep(r.kiosk);
          return version;
        },
      },
      pushRegistries: (kiosk) => push.sweep(kiosk),
      revokeKiosk: (id, reason, also) => fleet.revokeKiosk(id, reason, also),
      decommissionKiosk: (id, reason) => fleet.decommissionKiosk(id, reason),
      requestRenewal: (id) => fleet.requestRenewal(id),
      syncBroker: () => broker.sync(),
      idle: () => bridge.idle(),
      async stop() {
        if (stopped) return;
        stopped = true;
        // No push, no kick after the final checkpoint.
        await stopPolling();
        await fleet.stop();
        // Stop taking messages first (the broker routes the rest to the other workers), then handle every one taken:
        // only then the final checkpoint, and the publisher and the store closed (cleanups).
        await bridge.drain();
        await store.transaction((tx) => audit.checkpoint(tx)).catch((e: unknown) => logger.error('final checkpoint failed', { error: e }));
        for (const c of cleanups) await c().catch((e: unknown) => logger.error('shutdown step failed', { error: e }));
        keys.dispose();
        logger.info('center stopped');
      },
    };
  } catch (e) {
    for (const c of cleanups) await c().catch(() => undefined);
    keys.dispose();
    throw e;
  }
}

/**
 * How long a message waits for its predecessor. Only workers sharing a
 * subscription on an external broker see a kiosk's messages out of order;
 * the embedded broker hands them to the one bridge in order on one
 * connection, so a gap there is a message refused (late, tampered, unknown
 * type) or lost, which will never come: waiting for it would only stall
 * the kiosk's next message.
 */
export function gapWaitFor(broker: 'embedded' | 'external', limit: number): number {
  return broker === 'external' ? limit : 0;
}

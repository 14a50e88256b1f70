/**
 * The center, composed (DESIGN §2, §7 "Embedded"): the key store, the
 * storage (PGlite or PostgreSQL, migrated), the audit log, the embedded
 * broker (Aedes, mutual TLS, on loopback) and the bridge, which connects to
 * that broker as an MQTT client with the center's own certificate — the
 * same path it takes to an external broker.
 */
import { connect, type MqttClient } from 'mqtt';
import type { Clock } from '../common/clock.js';
import type { Logger } from '../common/log.js';
import { MerkleAuditLog } from './audit/audit-log.js';
import { startBroker } from './broker/broker.js';
import { Bridge } from './bridge.js';
import { DEFAULT_SCRYPT, type ScryptParams } from './code-hash.js';
import { DEFAULT_LIMITS, type CenterDeps, type CenterLimits } from './deps.js';
import { admitKiosk } from './fleet/admission.js';
import type { FleetCa } from './fleet/ca.js';
import type { DecommissionOutcome } from './fleet/decommission.js';
import { checkFleetLimits, startFleet, type FleetOps } from './fleet/start.js';
import { FleetState, type RevokeOutcome } from './fleet/state.js';
import { dispatcher } from './handlers/index.js';
import { loadCenterKeys } from './keys.js';
import { RateLimiter } from './rate-limit.js';
import { addReader, removeReader, type NewReader } from './registry.js';
import { RegistryPush } from './registry-push.js';
import type { Db, Sql, StoreLocation } from './store/db.js';
import { openStore } from './store/open.js';
import { closeSessions } from './sessions.js';

export interface CenterOptions {
  /** Directory laid out by `cardline pki init` (center keys and TLS material). */
  pkiDir: string;
  store: StoreLocation;
  /** Broker address; the embedded broker listens on loopback only by default. */
  host?: string;
  /** 0 picks a free port. Default 8883. */
  port?: number;
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
  readonly port: number;
  readonly url: string;
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
    // Sessions do not survive a center restart: a message still in flight from an old session is refused
    // (unknown-session) and the kiosk's next hello drives the recovery. (One center process per store; issue 6 revisits this for workers.)
    await store.query('UPDATE sessions SET current = false WHERE current');
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
      fleet: new FleetState({ pkiDir: opts.pkiDir, ca: opts.fleetCa, clock: opts.clock }),
    };
    const host = opts.host ?? '127.0.0.1';
    const broker = await startBroker({
      host,
      port: opts.port ?? 8883,
      tls: keys.brokerTls,
      logger,
      admitKiosk: (id, cert) => admitKiosk(deps, id, cert),
      onKioskGone: (id) => {
        deps.fleet.wipes.notify(id, { kind: 'gone' });
        void closeSessions(store, id, new Date(opts.clock.now())).catch((e: unknown) => logger.warn('recording a kiosk gone failed', { kiosk: id, error: e }));
      },
      onRefusal: (r) => {
        void store
          .transaction((tx) => audit.append(tx, { kind: 'broker.refused', ...(r.kiosk ? { kiosk: r.kiosk } : {}), detail: { stage: r.stage, reason: r.reason, topic: r.topic ?? null } }))
          .catch((e: unknown) => logger.error('audit of a broker refusal failed', { error: e }));
      },
    });
    cleanups.unshift(() => broker.close());
    const url = `mqtts://${host}:${broker.port}`;
    const client = await connectBridge(url, keys.bridgeTls, logger);
    cleanups.unshift(() => new Promise<void>((resolve) => client.end(true, {}, () => resolve())));
    const bridge = new Bridge(client, { db: store, audit, clock: opts.clock, logger, signingKey: keys.signingKey, auditKey: keys.auditKey, deadlineMs: deps.limits.deadlineMs }, dispatcher(deps));
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
    const fleet: FleetOps = startFleet(deps, broker, bridge, keys.brokerTls.crl);
    cleanups.unshift(() => fleet.stop());
    const registryDeps = { db: store, audit, clock: opts.clock };
    await store.transaction((tx) => audit.append(tx, { kind: 'center.started', detail: { port: broker.port, store: store.kind } }));
    logger.info('center started', { url, store: store.kind });
    let stopped = false;
    return {
      port: broker.port,
      url,
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
      idle: () => bridge.idle(),
      async stop() {
        if (stopped) return;
        stopped = true;
        // No push, no kick after the final checkpoint.
        await stopPolling();
        await fleet.stop();
        await bridge.idle();
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

function connectBridge(url: string, tls: { ca: string; cert: string; key: string }, logger: Logger): Promise<MqttClient> {
  return new Promise((resolve, reject) => {
    const client = connect(url, {
      protocolVersion: 4,
      clean: true,
      clientId: `cardline-center-${process.pid}`,
      ca: tls.ca,
      cert: tls.cert,
      key: tls.key,
      rejectUnauthorized: true,
      reconnectPeriod: 1000,
    });
    const onError = (e: Error): void => {
      client.end(true);
      reject(e);
    };
    client.once('error', onError);
    // Nagle's algorithm delays MQTT.js's split writes by a delayed-ACK round (~40 ms per message); on every (re)connect.
    client.on('connect', () => (client.stream as { setNoDelay?: (v: boolean) => void } | undefined)?.setNoDelay?.(true));
    client.once('connect', () => {
      client.off('error', onError);
      client.on('error', (e) => logger.warn('bridge link error', { error: e }));
      resolve(client);
    });
  });
}

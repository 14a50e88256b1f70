/**
 * The broker side of the center (DESIGN §7), whichever it is: the embedded
 * Aedes (broker.ts) and the bridge client to it, or an external Mosquitto 2
 * reached by the bridge client only (external/start.ts). center.ts gets the
 * same things from both: where kiosks connect, the client the Bridge uses
 * and its subscription, the BrokerLink the fleet uses, and how to stop.
 */
import type { Clock } from '../../common/clock.js';
import type { Logger } from '../../common/log.js';
import type { AuditLog } from '../audit/types.js';
import type { BridgeClient, BridgePublisher } from '../bridge.js';
import type { CenterDeps } from '../deps.js';
import { admitKiosk } from '../fleet/admission.js';
import { CenterError } from '../errors.js';
import type { CenterKeys } from '../keys.js';
import { closeSessions } from '../sessions.js';
import type { Db } from '../store/db.js';
import { startBroker } from './broker.js';
import { connectBridge } from './bridge-client.js';
import { isWorkerName, parseBrokerUrl, SHARED_UP_FILTER, startExternalBroker } from './external/start.js';
import type { BrokerLink } from './link.js';

/**
 * CenterOptions.broker: the embedded broker (the default), or an external one the center bridges to.
 * External: `url` is where the center connects (the site broker's center listener, docs/mosquitto.md);
 * `kioskUrl` where kiosks connect (its kiosk listener), reported as RunningCenter.url (default `url`).
 */
export type BrokerOption = { kind: 'embedded'; host?: string; port?: number } | { kind: 'external'; url: string; kioskUrl?: string; pidFile?: string; worker?: string };

export interface BrokerSide {
  /** Where kiosks connect. */
  readonly url: string;
  readonly port: number;
  readonly link: BrokerLink;
  /** The connection the Bridge subscribes on. */
  readonly bridgeClient: BridgeClient;
  /** The filter it subscribes with (default kiosk/+/up). */
  readonly upFilter?: string;
  /** A second connection the Bridge publishes on (then it applies backpressure, bridge-intake.ts). */
  readonly publisher?: BridgePublisher;
  /** The CRLs the broker started with (embedded), for fleet/crl.ts; undefined for an external broker. */
  readonly startCrls: readonly string[] | undefined;
  /** Brings the broker's per-kiosk access in line with the registry now (external); nothing to do for the embedded broker, which asks the registry at every CONNECT. */
  sync(): Promise<void>;
  /** Ends the bridge client and the broker (embedded). */
  close(): Promise<void>;
}

export interface BrokerSideDeps {
  deps: CenterDeps;
  store: Db;
  audit: AuditLog;
  keys: CenterKeys;
  clock: Clock;
  logger: Logger;
}

export async function startBrokerSide(opt: BrokerOption, d: BrokerSideDeps): Promise<BrokerSide> {
  const onKioskGone = (id: string): void => {
    d.deps.fleet.wipes.notify(id, { kind: 'gone' });
    void closeSessions(d.store, id, new Date(d.clock.now())).catch((e: unknown) => d.logger.warn('recording a kiosk gone failed', { kiosk: id, error: e }));
  };
  if (opt.kind === 'external') {
    const worker = opt.worker ?? 'main';
    // A configuration error (the CLI refuses it earlier as a usage error: cli/center/broker-option.ts), not a broker's.
    if (!isWorkerName(worker)) throw new CenterError('CONFIG_INVALID', 'broker.worker: the worker name must be 1..32 of A-Z a-z 0-9 . _ -');
    const ext = await startExternalBroker({ url: opt.url, ...(opt.pidFile ? { pidFile: opt.pidFile } : {}), worker, tls: d.keys.bridgeTls, db: d.store, clock: d.clock, logger: d.logger, onKioskGone, leads: () => d.deps.fleet.leader.acquire() });
    const kioskUrl = opt.kioskUrl ?? ext.url;
    return { url: kioskUrl, port: parseBrokerUrl(kioskUrl).port, link: ext.link, bridgeClient: ext.bridgeClient, upFilter: SHARED_UP_FILTER, publisher: ext.publisher, startCrls: undefined, sync: () => ext.sync(), close: () => ext.close() };
  }
  const host = opt.host ?? '127.0.0.1';
  const broker = await startBroker({
    host,
    port: opt.port ?? 8883,
    tls: d.keys.brokerTls,
    logger: d.logger,
    admitKiosk: (id, cert) => admitKiosk(d.deps, id, cert),
    onKioskGone,
    onRefusal: (r) => {
      void d.store
        .transaction((tx) => d.audit.append(tx, { kind: 'broker.refused', ...(r.kiosk ? { kiosk: r.kiosk } : {}), detail: { stage: r.stage, reason: r.reason, topic: r.topic ?? null } }))
        .catch((e: unknown) => d.logger.error('audit of a broker refusal failed', { error: e }));
    },
  });
  const url = `mqtts://${host}:${broker.port}`;
  let client;
  try {
    client = await connectBridge(url, d.keys.bridgeTls, d.logger, { clientId: `cardline-center-${process.pid}` });
  } catch (e) {
    await broker.close();
    throw e;
  }
  const c = client;
  return {
    url,
    port: broker.port,
    link: broker,
    bridgeClient: c,
    startCrls: d.keys.brokerTls.crl,
    sync: () => Promise.resolve(),
    async close() {
      await new Promise<void>((resolve) => c.end(true, {}, () => resolve()));
      await broker.close();
    },
  };
}

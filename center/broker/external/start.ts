/**
 * The center on an external Mosquitto 2 (DESIGN §7 "Site", issue 6): no
 * broker of its own, two MQTT connections with the center's certificate:
 * - the bridge's (clientId `cardline-center-<worker>-<pid>`), on which the
 *   Bridge subscribes to `$share/center/kiosk/+/up` (shared between
 *   workers) and may hold PUBACKs for backpressure (bridge-intake.ts);
 * - the control one (`…-<pid>-ctl`): the Bridge publishes on it, and it
 *   carries the plugin's answers and `kiosk/+/state`, so a full bridge
 *   never delays a kick or the presence.
 * At start it brings the plugin's kiosks in line with the registry once
 * (failing fast when the plugin does not answer: DYNSEC_TIMEOUT), then
 * every `reconcileMs` while this worker leads the fleet (`leads`).
 */
import type { MqttClient } from 'mqtt';
import type { Clock } from '../../../common/clock.js';
import type { Logger } from '../../../common/log.js';
import type { BridgeClient, BridgePublisher } from '../../bridge.js';
import type { Sql } from '../../store/db.js';
import { connectBridge, subscribeChecked, type BridgeTls } from '../bridge-client.js';
import { CENTER_SHARE_GROUP } from '../mosquitto/dynsec.js';
import { crlReloader } from './crl-reload.js';
import { DynsecControl, RESPONSE_TOPIC } from './dynsec-control.js';
import { ExternalBrokerLink } from './link.js';
import { KioskPresence } from './presence.js';
import { DynsecReconciler, reconcileWhileLeading } from './reconciler.js';

export const SHARED_UP_FILTER = `$share/${CENTER_SHARE_GROUP}/kiosk/+/up`;
export const STATE_FILTER = 'kiosk/+/state';
export const DEFAULT_RECONCILE_MS = 1_000;
/** The retained state of a kiosk the center turned off (the kiosk's own will says the same). */
export const OFFLINE = '{"online":false}';

export interface ExternalBrokerOptions {
  /** mqtts://HOST:PORT (checked by parseBrokerUrl). */
  url: string;
  /** mosquitto's pid_file: SIGHUP reloads its CRL. Without it, a warning at each CRL change. */
  pidFile?: string;
  worker: string;
  tls: BridgeTls;
  db: Sql;
  clock: Clock;
  logger: Logger;
  /** A kiosk went offline (its will, a clean offline, or a kick by this center). */
  onKioskGone: (kiosk: string) => void;
  reconcileMs?: number;
  dynsecTimeoutMs?: number;
  /**
   * Whether this worker runs the periodic passes (center/fleet/leader.ts):
   * with N workers only the fleet's leader reads the registry every
   * `reconcileMs`. Absent: always. The pass at start and `sync()` run anyway.
   */
  leads?: () => Promise<boolean>;
}

export interface ExternalBroker {
  readonly url: string;
  readonly port: number;
  /** The Bridge's subscribing connection (up messages only). */
  readonly bridgeClient: BridgeClient;
  /** The connection the Bridge publishes on (and the control's). */
  readonly publisher: BridgePublisher;
  readonly link: ExternalBrokerLink;
  /** One reconciliation pass now (RunningCenter.syncBroker). */
  sync(): Promise<void>;
  close(): Promise<void>;
}

const WORKER = /^[A-Za-z0-9._-]{1,32}$/;

export function isWorkerName(name: string): boolean {
  return WORKER.test(name);
}

export async function startExternalBroker(o: ExternalBrokerOptions): Promise<ExternalBroker> {
  const log = o.logger.child('broker');
  const { port } = parseBrokerUrl(o.url);
  const clientId = `cardline-center-${o.worker}-${process.pid}`;
  const client = await connectBridge(o.url, o.tls, o.logger, { clientId: `${clientId}-ctl`, connectTimeoutMs: 10_000 });
  const stop = new AbortController();
  let looping: Promise<void> = Promise.resolve();
  let bridgeClient: MqttClient | undefined;
  const end = (c: MqttClient | undefined): Promise<void> => new Promise<void>((resolve) => (c ? c.end(true, {}, () => resolve()) : resolve()));
  try {
    const control = new DynsecControl(client, { clock: o.clock, prefix: `${o.worker}-${process.pid}-${o.clock.now().toString(36)}`, ...(o.dynsecTimeoutMs ? { timeoutMs: o.dynsecTimeoutMs } : {}) });
    const presence = new KioskPresence(log, { onGone: o.onKioskGone });
    const publishOffline = async (id: string): Promise<void> => {
      await client.publishAsync(`kiosk/${id}/state`, OFFLINE, { qos: 1, retain: true });
    };
    // A kiosk the reconciler turns off (decommissioned, revoked by another process) was kicked without its will too.
    const onOff = (id: string): void => {
      presence.markOffline(id);
      publishOffline(id).catch((e: unknown) => log.warn('publishing the offline state of a turned-off kiosk failed', { kiosk: id, error: e }));
    };
    const reconciler = new DynsecReconciler({ db: o.db, clock: o.clock, logger: o.logger, control, onOff, isOnline: (id) => presence.has(id) });
    const link = new ExternalBrokerLink({ presence, control, reconciler, reloadCrl: crlReloader(o.pidFile, o.logger), publishOffline, logger: o.logger });
    client.on('message', (topic, payload) => {
      if (topic === RESPONSE_TOPIC) return control.onResponse(payload);
      if (!presence.onState(topic, payload)) log.warn('message on an unexpected topic dropped', { topicLength: topic.length });
    });
    await subscribeChecked(client, RESPONSE_TOPIC);
    await reconciler.pass();
    await subscribeChecked(client, STATE_FILTER);
    looping = reconcileWhileLeading({ reconciler, clock: o.clock, everyMs: o.reconcileMs ?? DEFAULT_RECONCILE_MS, signal: stop.signal, log, ...(o.leads ? { leads: o.leads } : {}) });
    bridgeClient = await connectBridge(o.url, o.tls, o.logger, { clientId, connectTimeoutMs: 10_000 });
    const bridge = bridgeClient;
    log.info('bridged to an external broker', { url: o.url, worker: o.worker, crlReload: o.pidFile ? 'sighup' : 'none' });
    return {
      url: o.url,
      port,
      bridgeClient: bridge,
      publisher: client,
      link,
      sync: () => reconciler.pass(),
      async close() {
        stop.abort();
        await looping;
        await end(bridge);
        await end(client);
      },
    };
  } catch (e) {
    stop.abort();
    await looping;
    await end(bridgeClient);
    await end(client);
    throw e;
  }
}

/** `mqtts://HOST:PORT` (a hostname, IPv4, or [IPv6]); anything else is a RangeError naming what is wrong. */
export function parseBrokerUrl(url: string): { host: string; port: number } {
  const m = /^mqtts:\/\/(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]{1,253}):(\d{1,5})$/.exec(url);
  if (!m) throw new RangeError('the broker URL must be mqtts://HOST:PORT (mutual TLS)');
  const port = Number(m[2]);
  if (port < 1 || port > 65535) throw new RangeError('the broker port must be 1..65535');
  return { host: m[1]!, port };
}

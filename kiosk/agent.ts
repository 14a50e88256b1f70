/**
 * The kiosk agent: loads the identity, opens the MQTT link and runs the
 * session runner over the card station (DESIGN §2 kiosk/, §3 relay mode).
 * Everything it talks to is passed in; the caller owns the station and
 * closes it after `stop()`.
 */
import { connect } from 'mqtt';
import type { Clock } from '../common/clock.js';
import type { Logger } from '../common/log.js';
import { join } from 'node:path';
import type { CardStation, ReaderIdentity } from '../hardware/station.js';
import { REGISTRY_FILE, saveSignedRegistry } from './registry-file.js';
import type { KioskConfig } from './config.js';
import type { KioskEventSink } from './events.js';
import { loadIdentity } from './identity.js';
import { KioskLink } from './link.js';
import type { MqttConnect } from './mqtt-client.js';
import type { KioskOutcome } from './runner-context.js';
import { SessionRunner } from './session-runner.js';

export type { KioskOutcome } from './runner-context.js';

/** The version the agent announces in `hello`. */
export const KIOSK_AGENT_VERSION = '0.1.0';

export interface KioskAgent {
  /** Serves one customer (S230 onwards); requests are one at a time. Never rejects. */
  request(application: string, code: string): Promise<KioskOutcome>;
  /** Resolves when the station's reader is authenticated; rejects (KioskError) when the kiosk or its reader is refused, or on stop. */
  readonly ready: Promise<void>;
  /** Publishes offline, disconnects, and zeroizes the signing key. Does not close the station. */
  stop(): Promise<void>;
  /** The runner's phase: offline, awaiting-welcome, ready, requesting, card, writing, verifying, refused, reader-refused, stopped. */
  state(): string;
  /**
   * Liveness for the systemd watchdog (kiosk/systemd/): `wedged` when the
   * session runner has been stuck in one handler with no progress for
   * longer than `wedgedAfterMs` (default: twice the APDU timeout + 5 s).
   */
  health(wedgedAfterMs?: number): { wedged: boolean; phase: string; stalledMs: number };
}

export interface StartKioskOptions {
  config: KioskConfig;
  station: CardStation;
  clock: Clock;
  logger: Logger;
  random: (n: number) => Uint8Array;
  events: KioskEventSink;
  /** The MQTT client factory (default: mqtt.js `connect`). */
  mqttConnect?: MqttConnect;
  /** Devices besides the station's reader that must be authenticated before use (a HID keypad). */
  devices?: readonly ReaderIdentity[];
}

const mqttJsConnect: MqttConnect = (url, opts) => connect(url, opts);

export async function startKiosk(opts: StartKioskOptions): Promise<KioskAgent> {
  const { config, station, clock, random } = opts;
  const identity = await loadIdentity(config.identityDir, config.kioskId);
  const logger = opts.logger.child('kiosk');
  const link = new KioskLink({
    kioskId: identity.kioskId,
    brokerUrl: config.brokerUrl,
    tls: identity.tls,
    signingKey: identity.signingKey,
    centerPublicKey: identity.centerPublicKey,
    connect: opts.mqttConnect ?? mqttJsConnect,
    clock,
    logger,
    random,
  });
  const runner = new SessionRunner({
    kioskId: identity.kioskId,
    agent: `cardline-kiosk/${KIOSK_AGENT_VERSION}`,
    link,
    station,
    clock,
    logger,
    random,
    events: opts.events,
    centerPublicKey: identity.centerPublicKey,
    apduTimeoutMs: config.apduTimeoutMs,
    requestTimeoutMs: config.requestTimeoutMs,
    ...(opts.devices ? { devices: opts.devices } : {}),
    saveRegistry: (signed) => saveSignedRegistry(config.registryFile ?? join(config.identityDir, REGISTRY_FILE), signed),
  });
  link.start({
    onSession: () => runner.sessionOpened(),
    onDown: (d) => runner.deliver(d),
    onDisconnect: () => runner.linkDown(),
  });
  logger.info('kiosk started', { kiosk: identity.kioskId, reader: station.identity.id });
  let stopped: Promise<void> | undefined;
  return {
    request: (application, code) => runner.request(application, code),
    ready: runner.ready,
    state: () => runner.state(),
    health: (wedgedAfterMs = 2 * config.apduTimeoutMs + 5000) => runner.health(wedgedAfterMs),
    stop: () =>
      (stopped ??= (async () => {
        await runner.stop();
        try {
          await link.stop();
        } finally {
          identity.dispose();
          logger.info('kiosk stopped', { kiosk: identity.kioskId });
        }
      })()),
  };
}

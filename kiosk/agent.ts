/**
 * The kiosk agent: loads the (public) identity, unseals the key store —
 * once, before connecting: a kiosk whose store does not open does not start
 * (KeyStoreError) —, opens the MQTT link and runs the session runner over
 * the card station (DESIGN §2 kiosk/, §3 relay mode). The secrets live in
 * memory only, and `stop()` zeroizes them. Everything it talks to is passed
 * in; the caller owns the station and closes it after `stop()`.
 */
import type { SecureContext } from 'node:tls';
import { connect } from 'mqtt';
import type { Clock } from '../common/clock.js';
import type { Logger } from '../common/log.js';
import { join } from 'node:path';
import type { CardStation, ReaderIdentity } from '../hardware/station.js';
import { REGISTRY_FILE, saveSignedRegistry } from './registry-file.js';
import type { KioskConfig } from './config.js';
import type { KioskEventSink } from './events.js';
import { loadIdentity } from './identity.js';
import { buildSecureContext, openKeyStore, type KioskKeyStore, type KioskSecrets } from './keystore/index.js';
import { KioskLink, type LinkExchange } from './link.js';
import type { MqttConnect } from './mqtt-client.js';
import type { KioskOutcome, RunnerDeps } from './runner-context.js';
import { SessionRunner } from './session-runner.js';

export type { KioskOutcome } from './runner-context.js';

/** The version the agent announces in `hello`. */
export const KIOSK_AGENT_VERSION = '0.1.0';

export interface KioskAgent {
  /** Serves one customer (S230 onwards); requests are one at a time. Never rejects. */
  request(application: string, code: string): Promise<KioskOutcome>;
  /** Resolves when the station's reader is authenticated; rejects (KioskError) when the kiosk or its reader is refused, or on stop. */
  readonly ready: Promise<void>;
  /** Publishes offline, disconnects, and zeroizes the unsealed secrets. Does not close the station. */
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
  /** The key store (default: the one `config.keyStore` names, kiosk/keystore/index.ts). */
  keyStore?: KioskKeyStore;
  /** Observer of every exchange with the center (KioskLinkOptions.onExchange: no payloads); the operator's screen. */
  onExchange?: (x: LinkExchange) => void;
  /** Test seam only: sees the sealed-mode secret buffers (RunnerDeps.watchSecrets). */
  watchSecrets?: RunnerDeps['watchSecrets'];
}

const mqttJsConnect: MqttConnect = (url, opts) => connect(url, opts);

export async function startKiosk(opts: StartKioskOptions): Promise<KioskAgent> {
  const { config, station, clock, random } = opts;
  const identity = await loadIdentity(config.identityDir, config.kioskId);
  const logger = opts.logger.child('kiosk');
  const store = opts.keyStore ?? openKeyStore(config, { logger });
  const secrets = await unsealFor(store, identity.tls, logger);
  const link = new KioskLink({
    kioskId: identity.kioskId,
    brokerUrl: config.brokerUrl,
    secureContext: secrets.secureContext,
    signingKey: secrets.signingKey,
    centerPublicKey: identity.centerPublicKey,
    connect: opts.mqttConnect ?? mqttJsConnect,
    clock,
    logger,
    random,
    ...(opts.onExchange ? { onExchange: opts.onExchange } : {}),
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
    sealingKey: secrets.sealingKey,
    apduTimeoutMs: config.apduTimeoutMs,
    requestTimeoutMs: config.requestTimeoutMs,
    ...(opts.devices ? { devices: opts.devices } : {}),
    ...(opts.watchSecrets ? { watchSecrets: opts.watchSecrets } : {}),
    saveRegistry: async (signed) => void (await saveSignedRegistry(config.registryFile ?? join(config.identityDir, REGISTRY_FILE), signed)),
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
          secrets.dispose();
          logger.info('kiosk stopped', { kiosk: identity.kioskId });
        }
      })()),
  };
}

/**
 * Unseals the store and builds the one TLS context from its key (whose
 * bytes are zeroized right after). On any failure the secrets are wiped
 * before the error goes up.
 */
async function unsealFor(store: KioskKeyStore, tls: { cert: string; ca: string }, logger: Logger): Promise<KioskSecrets & { secureContext: SecureContext }> {
  const secrets = await store.unseal();
  try {
    const secureContext = buildSecureContext(secrets.tls, tls.cert, tls.ca);
    logger.info('key store unsealed', { store: store.kind, tls: secrets.tls.kind });
    return Object.assign(secrets, { secureContext });
  } catch (e) {
    secrets.dispose();
    throw e;
  }
}

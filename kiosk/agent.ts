/**
 * The kiosk agent: loads the (public) identity, unseals the key store —
 * once, before connecting: a kiosk whose store does not open does not start
 * (KeyStoreError) —, opens the MQTT link and runs the session runner over
 * the card station (DESIGN §2 kiosk/, §3 relay mode). The secrets live in
 * memory only, and `stop()` zeroizes them. Everything it talks to is passed
 * in; the caller owns the station and closes it after `stop()`.
 *
 * The fleet messages (docs/provisioning.md §3–4) go to kiosk/renewal/, not
 * to the session runner: `renew` and `certificate` to the Renewal (the swap
 * waits, through the IdleGate, until no customer session is in progress),
 * `decommission` stops the renewal (a swap in progress finishes first),
 * wipes the store and stops the agent (`ended` says so). A
 * renewal cut short by a crash is sorted out before the store is unsealed.
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
import { isKioskError } from './errors.js';
import { buildSecureContext, openKeyStore, openPendingKeys, type KioskKeyStore, type KioskSecrets, type PendingKeys, type WipeReport, type ZeroedHook } from './keystore/index.js';
import { KioskLink, type LinkExchange } from './link.js';
import type { MqttConnect } from './mqtt-client.js';
import { decommission } from './renewal/decommission.js';
import { IdleGate } from './renewal/idle-gate.js';
import { recoverRenewal } from './renewal/recover.js';
import { Renewal, type RenewalState } from './renewal/renewal.js';
import type { KioskOutcome, Phase, RunnerDeps } from './runner-context.js';
import { SessionRunner } from './session-runner.js';
import type { UpBody, UpType } from '../wire/messages.js';

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
  /** Resolves once the agent has stopped: by `stop()`, or by the center's `decommission` (the store wiped; `cardline kiosk` exits 4). */
  readonly ended: Promise<AgentEnd>;
  /** Where a certificate renewal stands (kiosk/renewal/renewal.ts): none, awaiting-certificate, awaiting-swap. */
  renewal(): RenewalState;
}

export type AgentEnd = { reason: 'stopped' } | { reason: 'decommissioned'; wipe: WipeReport };

/** Phases in which no customer session is in progress (a job shows as card, writing or verifying; a request as requesting). */
const QUIET_PHASES: ReadonlySet<Phase> = new Set(['offline', 'awaiting-welcome', 'ready', 'refused', 'reader-refused']);

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
  /** The pending side of the key store (default: the one `config.keyStore` names, kiosk/keystore/pending.ts). */
  pendingKeys?: PendingKeys;
  /** How often a waiting certificate swap checks whether the kiosk is idle (default 1000 ms; also at once when a customer leaves). */
  idlePollMs?: number;
  /** Test seam only: sees each file of the store once zero-filled by a decommission, before its unlink. */
  onZeroed?: ZeroedHook;
}

const mqttJsConnect: MqttConnect = (url, opts) => connect(url, opts);

export async function startKiosk(opts: StartKioskOptions): Promise<KioskAgent> {
  const { config, station, clock, random } = opts;
  const logger = opts.logger.child('kiosk');
  const pending = opts.pendingKeys ?? openPendingKeys(config, { logger, random });
  // Before the identity and the store are read: either may be half-way through a swap.
  await recoverRenewal(config.identityDir, pending, logger);
  const identity = await loadIdentity(config.identityDir, config.kioskId);
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
    answerTimeoutMs: config.answerTimeoutMs,
    ...(opts.devices ? { devices: opts.devices } : {}),
    ...(opts.watchSecrets ? { watchSecrets: opts.watchSecrets } : {}),
    saveRegistry: async (signed) => void (await saveSignedRegistry(config.registryFile ?? join(config.identityDir, REGISTRY_FILE), signed)),
  });
  /** Up, for the fleet steps: false when the link is down (the center asks again after the reconnect). */
  const send = async <T extends UpType>(type: T, body: UpBody<T>): Promise<boolean> => {
    try {
      await link.send(type, body);
      return true;
    } catch (e) {
      if (!isKioskError(e, 'LINK_DOWN')) throw e;
      logger.warn('not sent: link down', { type });
      return false;
    }
  };
  const gate = new IdleGate({
    clock,
    pollMs: opts.idlePollMs ?? 1000,
    quiet: async () => QUIET_PHASES.has(runner.state()) && !(await cardPresent(station, logger)),
  });
  const renewal = new Renewal({
    kioskId: identity.kioskId,
    identityDir: config.identityDir,
    root: identity.tls.ca,
    pending,
    held: secrets,
    send,
    whenIdle: (step, signal) => gate.whenIdle(step, signal),
    reconnect: (context) => link.restart(context),
    clock,
    logger,
  });
  let end: AgentEnd = { reason: 'stopped' };
  let endedResolve!: (e: AgentEnd) => void;
  const ended = new Promise<AgentEnd>((resolve) => (endedResolve = resolve));
  let stopped: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopped ??= (async () => {
      await renewal.stop();
      await runner.stop();
      try {
        await link.stop();
      } finally {
        secrets.dispose();
        logger.info('kiosk stopped', { kiosk: identity.kioskId, reason: end.reason });
        endedResolve(end);
      }
    })());
  let retiring = false;
  const retire = async (body: { reason: string }): Promise<void> => {
    if (retiring) return;
    retiring = true;
    // The renewal first, and a swap in progress waited for: its promote renames the pending store over the
    // current one, and must not do so between the wipe's files (a live store left behind a wipe that says ok).
    await renewal.stop();
    const wipeConfig = { identityDir: config.identityDir, keyStore: config.keyStore, registryFile: config.registryFile };
    const wipe = await decommission(body, { config: wipeConfig, send, logger, ...(opts.onZeroed ? { onZeroed: opts.onZeroed } : {}) });
    end = { reason: 'decommissioned', wipe };
    await stop();
  };
  link.start({
    onSession: () => runner.sessionOpened(),
    onDown: (d) => {
      const m = d.message;
      if (m.type === 'renew') renewal.renew(m.body);
      else if (m.type === 'certificate') renewal.certificate(m.body);
      else if (m.type === 'decommission') retire(m.body).catch((e: unknown) => logger.error('decommission failed', { err: e }));
      else runner.deliver(d);
    },
    onDisconnect: () => runner.linkDown(),
  });
  logger.info('kiosk started', { kiosk: identity.kioskId, reader: station.identity.id });
  return {
    request: (application, code) => gate.customer(() => runner.request(application, code)),
    ready: runner.ready,
    state: () => runner.state(),
    health: (wedgedAfterMs = 2 * config.apduTimeoutMs + 5000) => runner.health(wedgedAfterMs),
    ended,
    renewal: () => renewal.state(),
    stop,
  };
}

/** Whether a card is at the station; a station that cannot say is logged and counts as empty (a session in progress shows in the phase). */
async function cardPresent(station: CardStation, logger: Logger): Promise<boolean> {
  try {
    return await station.cardAtStation();
  } catch (e) {
    logger.warn('station status failed', { err: e });
    return false;
  }
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

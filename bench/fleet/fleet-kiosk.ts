/**
 * The kiosks of the fleet process, two kinds, both over the real link
 * (kiosk/link.ts: mutual TLS with the kiosk's own certificate, a clean
 * MQTT session, the retained online state and its will, signed envelopes,
 * the center's signature checked on every down message, mqtt.js's own
 * reconnect every 2 s):
 *
 * - IssuingKiosk: the link and the session runner (kiosk/session-runner.ts)
 *   over a simulated station, composed as kiosk/agent.ts composes them
 *   (without the renewal and decommission steps, which the bench does not
 *   exercise). It is back after a reconnect when its reader is authenticated
 *   again (welcome, reader challenge, reader report).
 * - LightKiosk: the link and `hello` only, for the thousands of kiosks of the
 *   reconnect phase, with the runner's center-silence watchdog (a hello not
 *   answered within 10 s is sent again in a new session). It is back when
 *   the center's `welcome` arrives. It runs no reader authentication and
 *   issues nothing.
 */
import type { SecureContext } from 'node:tls';
import { connect } from 'mqtt';
import type { Clock } from '../../common/clock.js';
import { NativeVerifier, nativeSigner } from '../../common/ed25519.js';
import type { Logger } from '../../common/log.js';
import type { SimStation } from '../../hardware/sim/sim-station.js';
import type { KioskEvent } from '../../kiosk/events.js';
import { KioskLink } from '../../kiosk/link.js';
import type { MqttConnect } from '../../kiosk/mqtt-client.js';
import type { KioskOutcome } from '../../kiosk/runner-context.js';
import { SessionRunner } from '../../kiosk/session-runner.js';
import { SilenceWatch } from '../../kiosk/silence-watch.js';
import type { KioskIdentity } from './identities.js';

export const AGENT = 'cardline-kiosk/bench-fleet';
/** kiosk/config.ts defaults. */
const APDU_TIMEOUT_MS = 10_000;
const REQUEST_TIMEOUT_MS = 30_000;
/** The center-silence watchdog's wait (kiosk/config.ts answerTimeoutMs, kiosk/silence-watch.ts). */
const ANSWER_TIMEOUT_MS = 10_000;

const mqttJsConnect: MqttConnect = (url, opts) => connect(url, opts);

export interface KioskDeps {
  brokerUrl: string;
  centerPublicKey: Uint8Array;
  clock: Clock;
  logger: Logger;
  random: (n: number) => Uint8Array;
  /** The kiosk is back (reader authenticated / welcome received), with performance.now(). */
  onBack(id: string, at: number): void;
  /** The link went down, with performance.now(). */
  onDown(id: string, at: number): void;
}

export interface FleetKiosk {
  readonly id: string;
  stop(): Promise<void>;
}

/** One verifier (and its imported keys) for the whole simulated fleet. */
const verifier = new NativeVerifier();

/**
 * The envelopes are signed and checked in OpenSSL (common/ed25519.ts), as the
 * center does: in @noble/curves they cost ~6 ms of CPU per message pair here,
 * which a real kiosk spends on its own CPU but which this one process would
 * spend for all of them (docs/performance.md "Fleet at scale").
 */
function link(identity: KioskIdentity, secureContext: SecureContext, d: KioskDeps): KioskLink {
  return new KioskLink({
    kioskId: identity.id,
    brokerUrl: d.brokerUrl,
    secureContext,
    signingKey: identity.signingKey,
    ed25519: { sign: nativeSigner(identity.signingKey), verify: verifier.verify },
    centerPublicKey: d.centerPublicKey,
    connect: mqttJsConnect,
    clock: d.clock,
    logger: d.logger,
    random: d.random,
  });
}

export class IssuingKiosk implements FleetKiosk {
  readonly id: string;
  readonly #link: KioskLink;
  readonly #runner: SessionRunner;
  /** performance.now() of the current job's insert-card (undefined: none). */
  #insertAt: number | undefined;
  /** insert-card → issued of the last issued card, ms. */
  lastInsertToIssuedMs: number | undefined;

  constructor(
    identity: KioskIdentity,
    readonly station: SimStation,
    d: KioskDeps,
  ) {
    this.id = identity.id;
    this.#link = link(identity, identity.secureContext, d);
    const events = (e: KioskEvent): void => {
      if (e.type === 'reader-authenticated') d.onBack(this.id, performance.now());
      else if (e.type === 'disconnected') d.onDown(this.id, performance.now());
      else if (e.type === 'insert-card') this.#insertAt ??= performance.now();
      else if (e.type === 'issued' && this.#insertAt !== undefined) {
        this.lastInsertToIssuedMs = performance.now() - this.#insertAt;
        this.#insertAt = undefined;
      } else if (e.type === 'failed') this.#insertAt = undefined;
    };
    this.#runner = new SessionRunner({
      kioskId: identity.id,
      agent: AGENT,
      link: this.#link,
      station,
      clock: d.clock,
      logger: d.logger,
      random: d.random,
      events,
      centerPublicKey: d.centerPublicKey,
      sealingKey: identity.sealingKey,
      apduTimeoutMs: APDU_TIMEOUT_MS,
      requestTimeoutMs: REQUEST_TIMEOUT_MS,
      answerTimeoutMs: ANSWER_TIMEOUT_MS,
    });
    this.#link.start({ onSession: () => this.#runner.sessionOpened(), onDown: (x) => this.#runner.deliver(x), onDisconnect: () => this.#runner.linkDown() });
  }

  get ready(): Promise<void> {
    return this.#runner.ready;
  }

  phase(): string {
    return this.#runner.state();
  }

  request(application: string, code: string): Promise<KioskOutcome> {
    this.lastInsertToIssuedMs = undefined;
    this.#insertAt = undefined;
    return this.#runner.request(application, code);
  }

  async stop(): Promise<void> {
    await this.#runner.stop();
    await this.#link.stop();
  }
}

export class LightKiosk implements FleetKiosk {
  readonly id: string;
  readonly #link: KioskLink;

  readonly #watch: SilenceWatch;

  constructor(identity: KioskIdentity, readerId: string, d: KioskDeps) {
    this.id = identity.id;
    this.#link = link(identity, identity.secureContext, d);
    // As the session runner does: a hello the center never answers (sent while no worker was subscribed) is sent again in a new session.
    this.#watch = new SilenceWatch(d.clock, ANSWER_TIMEOUT_MS, () => this.#link.renewSession(), d.logger);
    this.#link.start({
      onSession: async () => {
        try {
          await this.#link.send('hello', { agent: AGENT, readers: [{ id: readerId, kind: 'sim' }], card: { present: false } });
          this.#watch.expect();
        } catch (e) {
          d.logger.warn('hello not sent', { kiosk: this.id, err: e });
        }
      },
      onDown: (x) => {
        this.#watch.heard();
        if (x.message.type === 'welcome') d.onBack(this.id, performance.now());
      },
      onDisconnect: () => {
        this.#watch.heard();
        d.onDown(this.id, performance.now());
      },
    });
  }

  async stop(): Promise<void> {
    this.#watch.stop();
    await this.#link.stop();
  }
}

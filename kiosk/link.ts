/**
 * The kiosk's MQTT link to the center (DESIGN §3 step 1, §5).
 *
 * - Every connect opens a NEW session: 16 random bytes, sequence from 1, a
 *   fresh replay window. Then: subscribe `kiosk/<id>/down` (QoS 1), publish
 *   the retained `{"online":true}` state, and hand over to the session
 *   runner (which sends `hello`). The will says `{"online":false}`.
 * - Up: every message is signed with the kiosk's Ed25519 key in an envelope
 *   with a 30 s deadline, QoS 1. Nothing is sent while the link is down
 *   (KioskError 'LINK_DOWN'): an envelope of a dead session would be
 *   refused anyway.
 * - Down: signature, address and deadline (openEnvelope), then the session
 *   must be the current one ('unknown-session') and the sequence above the
 *   last accepted ('replayed'), then the body (decodeDown). Any refusal is
 *   logged with its reason (never the payload) and the message is dropped.
 * - A session that cannot be set up on a connection (the broker refuses the
 *   down subscription: Mosquitto's dynsec grants CONNACK 0, then SUBACK 0x80
 *   to a kiosk whose role the reconciler has not given yet) would leave the
 *   kiosk connected, deaf and mute: that connection is ended and a new one
 *   made after `reconnectPeriodMs` × 2ⁿ (capped at SETUP_RETRY_MAX_MS), the
 *   reason logged; the wait starts over once a session opens.
 * - `renewSession()`: a new session on the same connection (a new hello),
 *   when the center went silent mid-job (kiosk/silence-watch.ts).
 * - `restart(secureContext)`: after a certificate renewal, the connection
 *   ends cleanly and a new one opens with the new key and certificate
 *   (a new session, a new hello).
 */
import type { SecureContext } from 'node:tls';
import { toHex } from '../card/bytes.js';
import type { Clock } from '../common/clock.js';
import type { Logger } from '../common/log.js';
import { decodeDown } from '../wire/codec.js';
import { openEnvelope, sealEnvelope, type Envelope } from '../wire/envelope.js';
import type { Ed25519Signer, Ed25519Verifier } from '../wire/keys.js';
import { isWireError, WireError } from '../wire/errors.js';
import { DOWN_SCHEMAS, type DownMessage, type UpBody, type UpType } from '../wire/messages.js';
import { SequenceWindow } from '../wire/replay.js';
import { downTopic, stateTopic, upTopic } from '../wire/topics.js';
import { KioskError } from './errors.js';
import { disableNagle, type MqttClientLike, type MqttConnect } from './mqtt-client.js';

/** Deadline of every up message (the center refuses it after that). */
export const UP_DEADLINE_MS = 30_000;
/** Longest wait before connecting again after a failed session setup. */
export const SETUP_RETRY_MAX_MS = 60_000;
const ONLINE = Buffer.from('{"online":true}');
const OFFLINE = Buffer.from('{"online":false}');

/** What the session runner needs of the link: one way up. */
export interface UpLink {
  send<T extends UpType>(type: T, body: UpBody<T>): Promise<void>;
  /** A new session on the same connection, then `onSession` (hello): the runner's answer to a silent center (silence-watch.ts). */
  renewSession?(): Promise<void>;
}

/** A down message that passed every check, with its envelope's deadline. */
export interface DownDelivery {
  message: DownMessage;
  deadline: number;
  seq: number;
}

export interface LinkHandlers {
  /** A new session is open (subscribed, online published): send `hello`. */
  onSession(): Promise<void>;
  onDown(delivery: DownDelivery): void;
  onDisconnect(): void;
}

/**
 * One message across the link, as the operator's view shows it
 * (kiosk/screen/): direction, the protocol's type name, sequence number,
 * the job when the body names one, and whether it was sent / accepted or
 * refused (with the reason code). Never a payload or body: the same fields
 * the link logs.
 */
export interface LinkExchange {
  direction: 'up' | 'down';
  /** A protocol type name (wire/messages.ts); absent when a refused message's type is not one. */
  type?: string;
  /** The envelope's sequence number, when it got that far. */
  seq?: number;
  job?: string;
  outcome: 'ok' | 'refused';
  /** The refusal's reason code (a WireError reason, 'link-down', 'error'). */
  reason?: string;
}

export interface KioskLinkOptions {
  kioskId: string;
  brokerUrl: string;
  /** Key (from the key store), certificate and fleet CA, built once (kiosk/keystore/tls-context.ts); replaced by `restart` after a renewal. */
  secureContext: SecureContext;
  /** The kiosk's Ed25519 secret (32 bytes); owned by the agent's unsealed secrets, zeroized there. */
  signingKey: Uint8Array;
  centerPublicKey: Uint8Array;
  /**
   * Another Ed25519 implementation for the envelopes, as exact and as strict
   * (default wire/keys.ts, @noble/curves, signing from `signingKey`). Only
   * the fleet bench passes one (common/ed25519.ts, OpenSSL): its one
   * process stands in for a thousand kiosks, each with a CPU of its own.
   */
  ed25519?: { sign: Ed25519Signer; verify: Ed25519Verifier };
  connect: MqttConnect;
  clock: Clock;
  logger: Logger;
  random: (n: number) => Uint8Array;
  reconnectPeriodMs?: number;
  /**
   * Observer of every up message sent (or that could not be) and every down
   * message accepted or refused (LinkExchange: no payload). Called
   * synchronously; what it throws is logged and ignored.
   */
  onExchange?: (x: LinkExchange) => void;
}

/** The job a body names, if it names one as a string (insert-card, script, card, result, …): the only field of a body an exchange carries. */
function withJob(body: unknown): { job?: string } {
  const job = typeof body === 'object' && body !== null ? (body as { job?: unknown }).job : undefined;
  return typeof job === 'string' ? { job } : {};
}

export class KioskLink implements UpLink {
  readonly #o: KioskLinkOptions;
  readonly #log: Logger;
  #client: MqttClientLike | undefined;
  #session: string | undefined;
  #seq = 0;
  #window = new SequenceWindow({ maxSessions: 1 });
  #up = false;
  /** Sends waiting for their PUBACK: rejected when the link drops. */
  readonly #waiting = new Set<(e: Error) => void>();
  #handlers: LinkHandlers | undefined;
  #secureContext: SecureContext;
  #stopped = false;
  /** Session setups failed in a row (the backoff's exponent); 0 once a session opens. */
  #setupFailures = 0;
  /** Aborts the wait before connecting again (stop, restart). */
  #retry: AbortController | undefined;

  constructor(opts: KioskLinkOptions) {
    this.#o = opts;
    this.#secureContext = opts.secureContext;
    this.#log = opts.logger.child('link');
  }

  /** The current session ID (undefined while down). */
  get session(): string | undefined {
    return this.#up ? this.#session : undefined;
  }

  start(handlers: LinkHandlers): void {
    if (this.#handlers) throw new RangeError('link already started');
    this.#handlers = handlers;
    this.#connect(handlers);
  }

  /**
   * Ends the connection and connects again with another TLS context (a
   * renewed certificate, kiosk/renewal/): a clean DISCONNECT (no will),
   * then a new client, a new session and a new hello. The runner hears the
   * link go down at once. Events of the old client are ignored from here on.
   */
  async restart(secureContext: SecureContext): Promise<void> {
    const handlers = this.#handlers;
    const old = this.#client;
    if (!handlers) throw new RangeError('link not started');
    this.#secureContext = secureContext;
    this.#client = undefined;
    // Waiting to connect again after a failed setup: connect now, with the new context.
    this.#retry?.abort();
    this.#retry = undefined;
    if (old === undefined) {
      if (!this.#stopped) this.#connect(handlers);
      return;
    }
    this.#dropWaiting();
    if (this.#up) {
      this.#up = false;
      this.#log.info('link down for a new certificate', { session: this.#session });
      handlers.onDisconnect();
    }
    await old.endAsync(!old.connected).catch((e: unknown) => this.#log.warn('ending the old connection failed', { err: e }));
    if (this.#stopped) return;
    this.#connect(handlers);
  }

  #connect(handlers: LinkHandlers): void {
    const o = this.#o;
    const client = o.connect(o.brokerUrl, {
      clientId: o.kioskId,
      protocolVersion: 4,
      clean: true,
      secureContext: this.#secureContext,
      rejectUnauthorized: true,
      will: { topic: stateTopic(o.kioskId), payload: OFFLINE, qos: 1, retain: true },
      reconnectPeriod: o.reconnectPeriodMs ?? 2000,
      connectTimeout: 10_000,
      resubscribe: false,
    });
    this.#client = client;
    // A client replaced by restart() may still emit: only the current one counts.
    const current = (): boolean => this.#client === client;
    client.on('connect', () => {
      if (!current()) return;
      // mqtt.js writes a packet in several small writes (header, topic, payload): with Nagle's
      // algorithm each message then waits for the broker's delayed ACK, ~40 ms a message on
      // loopback (measured), which is most of a customer's wait. Messages here are few and small.
      disableNagle(client);
      void this.#openSession(client, handlers);
    });
    client.on('message', (topic, payload) => {
      if (current()) this.#receive(topic, payload, handlers);
    });
    client.on('close', () => {
      if (!current()) return;
      this.#dropWaiting();
      if (!this.#up) return;
      this.#up = false;
      this.#log.info('link down', { session: this.#session });
      handlers.onDisconnect();
    });
    // Connection refusals and TLS failures: mqtt.js reconnects by itself.
    client.on('error', (e) => {
      if (current()) this.#log.warn('link error', { err: e });
    });
  }

  async #openSession(client: MqttClientLike, handlers: LinkHandlers): Promise<void> {
    const id = this.#o.kioskId;
    this.#session = toHex(this.#o.random(16)).toLowerCase();
    this.#seq = 0;
    this.#window = new SequenceWindow({ maxSessions: 1 });
    try {
      const granted = await client.subscribeAsync(downTopic(id), { qos: 1 });
      // MQTT 3.1.1 §3.9.3: 0x80 in SUBACK is a refused subscription.
      if (granted.some((g) => g.qos === 0x80)) throw new KioskError('LINK_DOWN', `subscription to ${downTopic(id)} refused by the broker`);
      await client.publishAsync(stateTopic(id), ONLINE, { qos: 1, retain: true });
    } catch (e) {
      if (this.#client === client) await this.#setupFailed(client, handlers, e);
      return;
    }
    // Replaced by restart() meanwhile: this session is not the link's.
    if (this.#client !== client) return;
    this.#up = true;
    this.#setupFailures = 0;
    this.#log.info('session open', { session: this.#session });
    await handlers.onSession().catch((e: unknown) => this.#log.error('session handler failed', { err: e }));
  }

  /**
   * The connection is up but the session could not be set up on it: ended
   * (mqtt.js would otherwise stay connected, or reconnect at a fixed period
   * into the same refusal), and a new connection after the backoff.
   */
  async #setupFailed(client: MqttClientLike, handlers: LinkHandlers, e: unknown): Promise<void> {
    const retryInMs = Math.min(SETUP_RETRY_MAX_MS, (this.#o.reconnectPeriodMs ?? 2000) * 2 ** this.#setupFailures);
    this.#setupFailures++;
    this.#log.error('session setup failed: connecting again', { err: e, retryInMs, failures: this.#setupFailures });
    this.#client = undefined;
    this.#dropWaiting();
    const retry = new AbortController();
    this.#retry = retry;
    await client.endAsync(true).catch((err: unknown) => this.#log.warn('ending the connection failed', { err }));
    try {
      await this.#o.clock.sleep(retryInMs, retry.signal);
    } catch {
      return; // stop() or restart() took over
    }
    if (this.#retry !== retry || this.#stopped) return;
    this.#retry = undefined;
    this.#connect(handlers);
  }

  /**
   * Opens a new session on the connection as it is (a new ID, sequence from
   * 1, a fresh replay window) and hands over to the runner (`onSession`:
   * hello). Down messages of the old session are refused from here on
   * ('unknown-session'). Does nothing while the link is down: its reconnect
   * opens a new session anyway.
   */
  async renewSession(): Promise<void> {
    const handlers = this.#handlers;
    if (!this.#up || handlers === undefined) return;
    const old = this.#session;
    this.#session = toHex(this.#o.random(16)).toLowerCase();
    this.#seq = 0;
    this.#window = new SequenceWindow({ maxSessions: 1 });
    this.#log.info('session renewed', { previous: old, session: this.#session });
    await handlers.onSession();
  }

  async send<T extends UpType>(type: T, body: UpBody<T>): Promise<void> {
    const client = this.#client;
    const session = this.#session;
    if (!this.#up || client === undefined || session === undefined || !client.connected) {
      this.#exchange({ direction: 'up', type, ...withJob(body), outcome: 'refused', reason: 'link-down' });
      throw new KioskError('LINK_DOWN', `cannot send ${type}: the link is down`);
    }
    // Numbers go 1, 2, 3 … with no gap while the session lives: the center's workers wait for a missing
    // predecessor (center/bridge.ts), so a message that cannot be sealed (too large) takes no number.
    const seq = this.#seq + 1;
    const env: Envelope = { v: 1, kiosk: this.#o.kioskId, from: 'kiosk', session, seq, deadline: this.#o.clock.now() + UP_DEADLINE_MS, type, body };
    const payload = Buffer.from(sealEnvelope(env, this.#o.ed25519?.sign ?? this.#o.signingKey));
    this.#seq = seq;
    let drop: ((e: Error) => void) | undefined;
    const dropped = new Promise<never>((_, reject) => {
      drop = reject;
      this.#waiting.add(reject);
    });
    try {
      await Promise.race([client.publishAsync(upTopic(this.#o.kioskId), payload, { qos: 1 }), dropped]);
    } catch (e) {
      this.#exchange({ direction: 'up', type, seq, ...withJob(body), outcome: 'refused', reason: e instanceof KioskError ? 'link-down' : 'error' });
      throw e;
    } finally {
      if (drop) this.#waiting.delete(drop);
    }
    this.#log.debug('sent', { type, seq });
    this.#exchange({ direction: 'up', type, seq, ...withJob(body), outcome: 'ok' });
  }

  #receive(topic: string, payload: Buffer, handlers: LinkHandlers): void {
    if (topic !== downTopic(this.#o.kioskId)) {
      this.#log.debug('message on an unexpected topic dropped', { length: payload.length });
      return;
    }
    let type: string | undefined;
    let seq: number | undefined;
    try {
      const env = openEnvelope(new Uint8Array(payload.buffer, payload.byteOffset, payload.byteLength), {
        topic,
        now: this.#o.clock.now(),
        publicKeyFor: (from) => (from === 'center' ? this.#o.centerPublicKey : undefined),
        ...(this.#o.ed25519 ? { verify: this.#o.ed25519.verify } : {}),
      });
      // Only the protocol's own type names are logged: anything else was chosen by the sender.
      type = Object.hasOwn(DOWN_SCHEMAS, env.type) ? env.type : undefined;
      seq = env.seq;
      if (!this.#up || env.session !== this.#session) throw new WireError('unknown-session', `${type ?? 'message'} for another session`);
      this.#window.check(env.session, env.seq);
      const message = decodeDown(env);
      this.#window.accept(env.session, env.seq);
      this.#exchange({ direction: 'down', type: message.type, seq: env.seq, ...withJob(message.body), outcome: 'ok' });
      handlers.onDown({ message, deadline: env.deadline, seq: env.seq });
    } catch (e) {
      if (isWireError(e)) {
        this.#log.warn('wire refused', { reason: e.reason, ...(type !== undefined ? { type } : {}) });
        this.#exchange({ direction: 'down', ...(type !== undefined ? { type } : {}), ...(seq !== undefined ? { seq } : {}), outcome: 'refused', reason: e.reason });
      } else this.#log.error('down message handling failed', { err: e });
    }
  }

  #exchange(x: LinkExchange): void {
    if (!this.#o.onExchange) return;
    try {
      this.#o.onExchange(x);
    } catch (e) {
      this.#log.error('exchange observer failed', { err: e });
    }
  }

  #dropWaiting(): void {
    for (const reject of this.#waiting) reject(new KioskError('LINK_DOWN', 'the link dropped before the broker acknowledged'));
    this.#waiting.clear();
  }

  /** Says offline (retained) when it can, then disconnects; the will is not published on a clean DISCONNECT. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#retry?.abort();
    this.#retry = undefined;
    const client = this.#client;
    if (client === undefined) return;
    if (this.#up && client.connected) {
      await client.publishAsync(stateTopic(this.#o.kioskId), OFFLINE, { qos: 1, retain: true }).catch(() => undefined);
    }
    this.#up = false;
    this.#dropWaiting();
    // Forced while (re)connecting: there is nothing in flight to wait for.
    await client.endAsync(!client.connected);
  }
}

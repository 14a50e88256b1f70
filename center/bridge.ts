/**
 * The center's bridge on the broker (DESIGN §2 "the center is a bridge on
 * that broker"): it subscribes to every kiosk's `up` topic, opens and checks
 * each envelope (wire/), keeps sessions (sessions.ts), logs every exchange
 * in the audit log, hands typed messages to the handlers, and seals and
 * publishes their answers on the kiosk's `down` topic.
 *
 * Messages of one kiosk are handled one at a time, in arrival order;
 * different kiosks run concurrently. The MQTT client is injected (the
 * MQTT.js pattern: a transport is just something that can publish and
 * subscribe), so tests can drive the bridge without a broker.
 */
import { createHmac } from 'node:crypto';
import type { Clock } from '../common/clock.js';
import type { Logger } from '../common/log.js';
import { decodeUp } from '../wire/codec.js';
import { openEnvelope, sealEnvelope, type Envelope } from '../wire/envelope.js';
import { isWireError, WireError } from '../wire/errors.js';
import type { DownBody, DownType, UpMessage } from '../wire/messages.js';
import { downTopic, parseKioskTopic, UP_WILDCARD } from '../wire/topics.js';
import type { AuditLog } from './audit/types.js';
import { getKiosk, type KioskRow } from './registry.js';
import { advanceSession, nextSeqOut, openSession } from './sessions.js';
import type { Db } from './store/db.js';

/** What the bridge needs of an MQTT client (mqtt.js MqttClient fits). */
export interface BridgeClient {
  subscribe(topic: string, opts: { qos: 0 | 1 }, cb: (err: Error | null, granted?: { qos: number }[]) => void): unknown;
  publish(topic: string, payload: Buffer, opts: { qos: 0 | 1; retain?: boolean }, cb: (err?: Error) => void): unknown;
  on(event: 'message', listener: (topic: string, payload: Buffer) => void): unknown;
}

export interface InboundContext {
  readonly kiosk: KioskRow;
  readonly session: string;
  /** Seals and publishes a message to this kiosk in this session. */
  send<T extends DownType>(type: T, body: DownBody<T>, opts?: { deadlineMs?: number }): Promise<void>;
}

export type Dispatch = (ctx: InboundContext, msg: UpMessage) => Promise<void>;

export interface BridgeDeps {
  db: Db;
  audit: AuditLog;
  clock: Clock;
  logger: Logger;
  signingKey: Uint8Array;
  auditKey: Uint8Array;
  /** Default lifetime of a down message (ms). */
  deadlineMs: number;
}

export interface BridgeOptions {
  /**
   * The filter the bridge subscribes with (default UP_WILDCARD,
   * `kiosk/+/up`). Center workers on an external broker share one:
   * `$share/center/kiosk/+/up` (center/broker/external/).
   */
  upFilter?: string;
}

export class Bridge {
  private readonly queues = new Map<string, Promise<void>>();
  private readonly log: Logger;
  private readonly upFilter: string;

  constructor(
    private readonly client: BridgeClient,
    private readonly deps: BridgeDeps,
    private readonly dispatch: Dispatch,
    opts: BridgeOptions = {},
  ) {
    this.log = deps.logger.child('bridge');
    this.upFilter = opts.upFilter ?? UP_WILDCARD;
  }

  async start(): Promise<void> {
    this.client.on('message', (topic, payload) => this.enqueue(topic, payload));
    await new Promise<void>((resolve, reject) =>
      this.client.subscribe(this.upFilter, { qos: 1 }, (err, granted) => {
        if (err) return reject(err);
        if (granted?.some((g) => g.qos === 128)) return reject(new Error(`broker refused the subscription to ${this.upFilter}`));
        resolve();
      }),
    );
  }

  /** Resolves when every message received so far has been handled. */
  async idle(): Promise<void> {
    await Promise.all([...this.queues.values()]);
  }

  private enqueue(topic: string, payload: Buffer): void {
    const addr = parseKioskTopic(topic);
    if (!addr || addr.channel !== 'up') {
      this.log.warn('message on an unexpected topic dropped', { topicLength: topic.length });
      return;
    }
    this.exclusive(addr.kiosk, () => this.handle(addr.kiosk, topic, new Uint8Array(payload))).catch((e: unknown) =>
      this.log.error('handler failed', { kiosk: addr.kiosk, error: e }),
    );
  }

  /**
   * Runs `task` in the kiosk's queue, after every message of that kiosk
   * received so far and before the next: a registry push (registry-push.ts)
   * never interleaves with a handler of the same kiosk.
   */
  exclusive<T>(kiosk: string, task: () => Promise<T>): Promise<T> {
    const prev = this.queues.get(kiosk) ?? Promise.resolve();
    const next = prev.then(task);
    const tail = next.then(
      () => undefined,
      () => undefined,
    );
    this.queues.set(kiosk, tail);
    void tail.then(() => {
      if (this.queues.get(kiosk) === tail) this.queues.delete(kiosk);
    });
    return next;
  }

  private async handle(kioskId: string, topic: string, payload: Uint8Array): Promise<void> {
    let env: Envelope<unknown> | undefined;
    try {
      const kiosk = await getKiosk(this.deps.db, kioskId);
      env = openEnvelope(payload, {
        topic,
        now: this.deps.clock.now(),
        publicKeyFor: (from, k) => (from === 'kiosk' && k === kioskId && kiosk ? kiosk.signing_public_key : undefined),
      });
      const msg = decodeUp(env);
      if (!kiosk) throw new WireError('unknown-sender', `kiosk ${kioskId} is not registered`);
      if (msg.type === 'hello') {
        await this.deps.db.transaction((tx) => openSession(tx, kioskId, env!.session, env!.seq, new Date(this.deps.clock.now())));
      } else {
        await advanceSession(this.deps.db, kioskId, env.session, env.seq, new Date(this.deps.clock.now()));
      }
      await this.auditWire('wire.in', kioskId, env);
      this.log.info('message in', { kiosk: kioskId, type: msg.type, seq: env.seq });
      await this.dispatch(this.context(kiosk, env.session), msg);
    } catch (e) {
      if (!isWireError(e)) throw e;
      await this.refused(kioskId, e, env);
    }
  }

  private context(kiosk: KioskRow, session: string): InboundContext {
    return {
      kiosk,
      session,
      send: (type, body, opts) => this.send(kiosk.id, session, type, body, opts?.deadlineMs),
    };
  }

  async send<T extends DownType>(kiosk: string, session: string, type: T, body: DownBody<T>, deadlineMs?: number): Promise<void> {
    const seq = await nextSeqOut(this.deps.db, session);
    const env: Envelope = { v: 1, kiosk, from: 'center', session, seq, deadline: this.deps.clock.now() + (deadlineMs ?? this.deps.deadlineMs), type, body };
    const payload = sealEnvelope(env, this.deps.signingKey);
    await this.auditWire('wire.out', kiosk, env);
    await new Promise<void>((resolve, reject) => this.client.publish(downTopic(kiosk), Buffer.from(payload), { qos: 1 }, (err) => (err ? reject(err) : resolve())));
    this.log.info('message out', { kiosk, type, seq });
  }

  private async refused(kiosk: string, e: WireError, env: Envelope<unknown> | undefined): Promise<void> {
    // The refusal is logged and audited with its reason; the payload never is.
    this.log.warn('wire refused', { kiosk, reason: e.reason, type: env?.type, seq: env?.seq, error: e.message });
    await this.deps.db.transaction((tx) =>
      this.deps.audit.append(tx, {
        kind: 'wire.refused',
        kiosk,
        ...(env ? { session: env.session } : {}),
        detail: { reason: e.reason, type: env?.type ?? null, seq: env?.seq ?? null },
      }),
    );
  }

  /** One audit entry per exchange: type, position and a keyed hash of the body (no personal data in clear, DESIGN §6). */
  private async auditWire(kind: 'wire.in' | 'wire.out', kiosk: string, env: Envelope<unknown>): Promise<void> {
    const bodyMac = createHmac('sha256', this.deps.auditKey).update(JSON.stringify(withoutCode(env.body))).digest('hex');
    const job = jobOf(env.body);
    await this.deps.db.transaction((tx) =>
      this.deps.audit.append(tx, { kind, kiosk, session: env.session, ...(job ? { job } : {}), detail: { type: env.type, seq: env.seq, body: bodyMac } }),
    );
  }
}

/**
 * The one-time code never enters the audit log, not even under the keyed
 * hash: a 6-digit code is guessable from its MAC by whoever holds the audit
 * key, and the log is append-only. It is protected by scrypt alone.
 */
function withoutCode(body: unknown): unknown {
  if (typeof body !== 'object' || body === null || !('code' in body)) return body;
  const { code: _code, ...rest } = body as Record<string, unknown>;
  return rest;
}

function jobOf(body: unknown): string | undefined {
  if (typeof body === 'object' && body !== null && 'job' in body) {
    const j = body.job;
    return typeof j === 'string' ? j : undefined;
  }
  return undefined;
}

/**
 * The center's bridge on the broker (DESIGN §2 "the center is a bridge on
 * that broker"): it subscribes to every kiosk's `up` topic, opens and checks
 * each envelope (wire/), keeps sessions (sessions.ts), logs every exchange
 * in the audit log, hands typed messages to the handlers, and seals and
 * publishes their answers on the kiosk's `down` topic.
 *
 * Several bridges (the center's workers, issue 6) may share one
 * subscription (`$share/center/kiosk/+/up`) over one database: any of them
 * may get any message of any kiosk. So:
 *
 * - Per kiosk, one message at a time across every process: each is handled
 *   under the store's lock `kiosk:<id>` (Db.withLock: an advisory lock on
 *   PostgreSQL, an in-process queue on PGlite); kiosks run concurrently.
 * - Inbound order: the kiosk numbers its messages 1, 2, 3 … in a session
 *   (kiosk/link.ts; hello is 1). One that arrives before its predecessor
 *   (taken by another worker, or queued behind it) is put back — the lock
 *   released, its backpressure slot given back — and tried again until
 *   the session's last number is just below it, until just before its own
 *   deadline and at most `gapWaitMs`; then it is handled anyway (the
 *   predecessor is lost, or will be refused as replayed).
 * - Outbound order: a down message is sent under the kiosk's lock and the
 *   send ends with the broker's PUBACK (QoS 1), so the next one, from any
 *   worker, reaches the broker after it; the kiosk accepts only rising
 *   numbers (wire/replay.ts).
 * - Backpressure (bridge-intake.ts): at most `maxInFlight` messages in
 *   flight; past that the PUBACK is held and mqtt.js reads nothing more,
 *   so the broker keeps the rest. On only with a separate publisher.
 *
 * The MQTT clients are injected (the MQTT.js pattern: a transport is just
 * something that can publish and subscribe), so tests can drive the bridge
 * without a broker.
 */
import { createHmac } from 'node:crypto';
import type { Clock } from '../common/clock.js';
import { NativeVerifier, nativeSigner } from '../common/ed25519.js';
import type { Logger } from '../common/log.js';
import { decodeUp } from '../wire/codec.js';
import { openEnvelope, sealEnvelope, type Envelope } from '../wire/envelope.js';
import type { Ed25519Signer } from '../wire/keys.js';
import { isWireError, WireError } from '../wire/errors.js';
import type { DownBody, DownType, UpMessage } from '../wire/messages.js';
import { downTopic, parseKioskTopic, UP_WILDCARD } from '../wire/topics.js';
import type { AuditLog } from './audit/types.js';
import { InFlightGate } from './bridge-intake.js';
import { DEFAULT_LIMITS } from './deps.js';
import { getKiosk, type KioskRow } from './registry.js';
import { advanceSession, nextSeqOut, openSession, sessionPosition } from './sessions.js';
import type { Db } from './store/db.js';

/** What the bridge needs to publish (mqtt.js MqttClient fits; for QoS 1 the callback runs on the PUBACK). */
export interface BridgePublisher {
  publish(topic: string, payload: Buffer, opts: { qos: 0 | 1; retain?: boolean }, cb: (err?: Error) => void): unknown;
}

/** What the bridge needs of an MQTT client (mqtt.js MqttClient fits). */
export interface BridgeClient extends BridgePublisher {
  subscribe(topic: string, opts: { qos: 0 | 1 }, cb: (err: Error | null, granted?: { qos: number }[]) => void): unknown;
  on(event: 'message', listener: (topic: string, payload: Buffer) => void): unknown;
  /** The connection ended (mqtt.js reconnects on a new one): PUBACKs held on it are dropped (bridge-intake.ts). */
  on(event: 'close', listener: () => void): unknown;
  /** mqtt.js's UNSUBSCRIBE, resolved on the UNSUBACK (drain(): stop taking messages before a clean stop). */
  unsubscribeAsync?: (topic: string) => Promise<unknown>;
  /** mqtt.js's hook, called after 'message' for the same packet; its callback sends the PUBACK (replaced for backpressure). */
  handleMessage?: (packet: never, callback: (err?: Error) => void) => void;
}

/** How often a message that came before its predecessor looks again (ms). */
const GAP_POLL_MS = 20;
/** A message waiting for its predecessor stops waiting this long before its deadline, to be handled in time (ms). */
const DEADLINE_MARGIN_MS = 250;
/** drain(): how long nothing must arrive after the unsubscription before the bridge is done (ms). */
const DRAIN_QUIET_MS = 300;

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
  /** The subscription (default `kiosk/+/up`; workers share `$share/center/kiosk/+/up`). */
  upFilter?: string;
  /**
   * A second connection to publish on. Given, the bridge applies
   * backpressure on `client` (bridge-intake.ts); not given, it publishes on
   * `client` and takes every message as it comes.
   */
  publisher?: BridgePublisher;
  /** Messages in flight at most, with a publisher (default limits.maxInFlight). */
  maxInFlight?: number;
  /** Longest wait for a message's predecessor, whatever its deadline (default limits.gapWaitMs; see Bridge.waitEnd). */
  gapWaitMs?: number;
}

export class Bridge {
  /** Work running or queued (messages and `exclusive` tasks): what idle() waits for. */
  private readonly running = new Set<Promise<unknown>>();
  /** Messages received so far (drain() waits until none comes). */
  private received = 0;
  private readonly log: Logger;
  private readonly publisher: BridgePublisher;
  private readonly gapWaitMs: number;
  /** Envelopes are signed and checked in OpenSSL (common/ed25519.ts): the center's largest CPU cost per card with @noble/curves. */
  private readonly sign: Ed25519Signer;
  private readonly verifier = new NativeVerifier();
  /** Backpressure; undefined without a separate publisher. */
  readonly intake: InFlightGate | undefined;

  constructor(
    private readonly client: BridgeClient,
    private readonly deps: BridgeDeps,
    private readonly dispatch: Dispatch,
  ) {
    this.log = deps.logger.child('bridge');
    this.publisher = deps.publisher ?? client;
    this.gapWaitMs = deps.gapWaitMs ?? DEFAULT_LIMITS.gapWaitMs;
    this.sign = nativeSigner(deps.signingKey);
    this.intake = deps.publisher ? new InFlightGate(deps.maxInFlight ?? DEFAULT_LIMITS.maxInFlight, deps.clock, this.log) : undefined;
  }

  async start(): Promise<void> {
    const gate = this.intake;
    if (gate) {
      this.client.handleMessage = (_packet, callback) => gate.admit(() => callback());
      this.client.on('close', () => gate.dropHeld());
    }
    this.client.on('message', (topic, payload) => this.receive(topic, payload));
    const filter = this.deps.upFilter ?? UP_WILDCARD;
    await new Promise<void>((resolve, reject) =>
      this.client.subscribe(filter, { qos: 1 }, (err, granted) => {
        if (err) return reject(err);
        if (granted?.some((g) => g.qos === 128)) return reject(new Error(`broker refused the subscription to ${filter}`));
        resolve();
      }),
    );
  }

  /**
   * Stops taking messages, then handles every one taken (a clean stop,
   * center.ts): unsubscribes the up filter — on a shared subscription the
   * broker routes the rest to the other workers from the UNSUBACK on —
   * then waits until nothing is running and nothing more has come for
   * DRAIN_QUIET_MS (messages the broker had already queued for this
   * connection still arrive after the UNSUBACK, as slots free). Without
   * this, a worker waiting for idle() while still subscribed PUBACKs
   * messages it then fails to handle on a closed store, and under steady
   * traffic is never idle.
   */
  async drain(): Promise<void> {
    const filter = this.deps.upFilter ?? UP_WILDCARD;
    await this.client.unsubscribeAsync?.(filter).catch((e: unknown) => this.log.warn('unsubscribe failed at stop', { filter, error: e }));
    for (;;) {
      await this.idle();
      const seen = this.received;
      await this.deps.clock.sleep(DRAIN_QUIET_MS);
      if (this.received === seen && this.running.size === 0) return;
    }
  }

  /** Resolves when every message received so far has been handled. */
  async idle(): Promise<void> {
    while (this.running.size > 0) await Promise.allSettled([...this.running]);
  }

  private receive(topic: string, payload: Buffer): void {
    this.received++;
    this.intake?.enter();
    const work = this.take(topic, new Uint8Array(payload))
      .catch((e: unknown) => this.log.error('handler failed', { kiosk: parseKioskTopic(topic)?.kiosk, error: e }))
      .finally(() => this.intake?.leave());
    this.track(work);
  }

  private track(work: Promise<unknown>): void {
    this.running.add(work);
    void work.finally(() => this.running.delete(work));
  }

  /**
   * Runs `task` under the kiosk's lock (Db.withLock `kiosk:<id>`), never
   * beside a message of that kiosk in any process: a registry push
   * (registry-push.ts) never interleaves with a handler of the same kiosk.
   */
  exclusive<T>(kiosk: string, task: () => Promise<T>): Promise<T> {
    const run = this.deps.db.withLock(`kiosk:${kiosk}`, task);
    this.track(run.catch(() => undefined));
    return run;
  }

  /**
   * One message, tried under the lock until its predecessor has been
   * handled or the wait is over (see waitEnd). Between tries it gives its
   * backpressure slot back: a message waiting for one that another worker
   * holds (or that the broker holds behind a full worker) must not stop
   * this worker from taking the very message it waits for, nor other
   * kiosks'. Waiting messages are therefore not bounded by `maxInFlight`;
   * they are bounded by time (their deadline, at most `gapWaitMs`), and a
   * kiosk has few unanswered messages at once.
   */
  private async take(topic: string, payload: Uint8Array): Promise<void> {
    const addr = parseKioskTopic(topic);
    if (!addr || addr.channel !== 'up') {
      this.log.warn('message on an unexpected topic dropped', { topicLength: topic.length });
      return;
    }
    const firstSeen = this.deps.clock.now();
    let waited = false;
    for (;;) {
      const outcome = await this.exclusive(addr.kiosk, () => this.handle(addr.kiosk, topic, payload, firstSeen, waited));
      if (outcome === 'handled') return;
      if (!waited) this.log.info('message waits for an earlier one', { kiosk: addr.kiosk, seq: outcome.seq, last: outcome.last ?? null });
      waited = true;
      this.intake?.leave();
      try {
        await this.deps.clock.sleep(GAP_POLL_MS);
      } finally {
        this.intake?.enter();
      }
    }
  }

  /**
   * Until when a message whose predecessor has not been handled waits for
   * it: until just before its own deadline (DEADLINE_MARGIN_MS: time left
   * to handle it), at most `gapWaitMs` after it arrived. The predecessor
   * was sealed earlier with the same lifetime, so past this message's
   * deadline it would be refused 'late' anyway: waiting longer gains
   * nothing, and giving up sooner (a fixed 2 s) lost a predecessor that was
   * merely held in the broker behind a busy worker — it then came after its
   * successor and was refused 'replayed'. The cap bounds a deadline far
   * ahead (a kiosk clock ahead of ours): a truly lost predecessor (a worker
   * killed with it in flight) holds its successor no longer than that, and
   * the kiosk's own silence watchdog opens a new session meanwhile, whose
   * messages do not wait for the old one's.
   */
  private waitEnd(firstSeen: number, deadline: number): number {
    return Math.min(deadline - DEADLINE_MARGIN_MS, firstSeen + this.gapWaitMs);
  }

  private async handle(kioskId: string, topic: string, payload: Uint8Array, firstSeen: number, waited: boolean): Promise<'handled' | { seq: number; last?: number }> {
    let env: Envelope<unknown> | undefined;
    try {
      const kiosk = await getKiosk(this.deps.db, kioskId);
      env = openEnvelope(payload, {
        topic,
        now: this.deps.clock.now(),
        publicKeyFor: (from, k) => (from === 'kiosk' && k === kioskId && kiosk ? kiosk.signing_public_key : undefined),
        verify: this.verifier.verify,
      });
      const msg = decodeUp(env);
      if (!kiosk) throw new WireError('unknown-sender', `kiosk ${kioskId} is not registered`);
      if (msg.type === 'hello') {
        const opened = await this.deps.db.transaction((tx) => openSession(tx, kioskId, env!.session, env!.seq, new Date(this.deps.clock.now()), env!.deadline));
        // A hello the kiosk sealed before its current session's (delayed at another worker) never demotes it (sessions.ts).
        if (opened === 'older') throw new WireError('replayed', `hello of session ${env.session} is older than the kiosk's current session's`);
      } else {
        const pos = await sessionPosition(this.deps.db, kioskId, env.session);
        // Its session not opened yet (hello at another worker), or a number skipped: the predecessor may still come.
        const gap = pos === undefined || (pos.current && pos.seqIn + 1 < env.seq);
        const now = this.deps.clock.now();
        if (gap && now < this.waitEnd(firstSeen, env.deadline)) return { seq: env.seq, ...(pos ? { last: pos.seqIn } : {}) };
        if (gap) this.log.warn('message handled without its predecessor', { kiosk: kioskId, seq: env.seq, last: pos?.seqIn ?? null, waitedMs: now - firstSeen, waited });
        await advanceSession(this.deps.db, kioskId, env.session, env.seq, new Date(this.deps.clock.now()));
      }
      await this.auditWire('wire.in', kioskId, env);
      this.log.info('message in', { kiosk: kioskId, type: msg.type, seq: env.seq });
      await this.dispatch(this.context(kiosk, env.session), msg);
    } catch (e) {
      if (!isWireError(e)) throw e;
      await this.refused(kioskId, e, env);
    }
    return 'handled';
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
    const payload = sealEnvelope(env, this.sign);
    await this.auditWire('wire.out', kiosk, env);
    await new Promise<void>((resolve, reject) => this.publisher.publish(downTopic(kiosk), Buffer.from(payload), { qos: 1 }, (err) => (err ? reject(err) : resolve())));
    this.log.info('message out', { kiosk, type, seq });
  }

  private async refused(kiosk: string, e: WireError, env: Envelope<unknown> | undefined): Promise<void> {
    // The refusal is logged and audited with its reason; the payload never is.
    this.log.warn('wire refused', { kiosk, reason: e.reason, type: env?.type, seq: env?.seq, error: e.message });
    await this.deps.audit.record(this.deps.db, {
      kind: 'wire.refused',
      kiosk,
      ...(env ? { session: env.session } : {}),
      detail: { reason: e.reason, type: env?.type ?? null, seq: env?.seq ?? null },
    });
  }

  /** One audit entry per exchange: type, position and a keyed hash of the body (no personal data in clear, DESIGN §6). */
  private async auditWire(kind: 'wire.in' | 'wire.out', kiosk: string, env: Envelope<unknown>): Promise<void> {
    const bodyMac = createHmac('sha256', this.deps.auditKey).update(JSON.stringify(withoutCode(env.body))).digest('hex');
    const job = jobOf(env.body);
    // Group-committed with the other processes' wire entries waiting at the time (center/audit/group-commit.ts).
    await this.deps.audit.record(this.deps.db, { kind, kiosk, session: env.session, ...(job ? { job } : {}), detail: { type: env.type, seq: env.seq, body: bodyMac } });
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

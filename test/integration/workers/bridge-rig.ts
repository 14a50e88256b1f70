/**
 * What the worker tests share: several Bridges (center/bridge.ts), each on
 * its own store connection to one PostgreSQL as separate workers would be,
 * fed by hand through in-memory MQTT clients, with a kiosk that signs its
 * own up messages. The dispatch is the test's: it records what it is given
 * and answers with one down message, so every handled message also goes
 * through the bridge's outbound path.
 */
import { randomBytes } from 'node:crypto';
import { ed25519 } from '@noble/curves/ed25519.js';
import { MerkleAuditLog } from '../../../center/audit/audit-log.js';
import { Bridge, type BridgeClient, type BridgeDeps, type Dispatch, type InboundContext } from '../../../center/bridge.js';
import { addKiosk } from '../../../center/registry.js';
import type { Db } from '../../../center/store/db.js';
import { systemClock } from '../../../common/clock.js';
import { silentLogger, type Logger } from '../../../common/log.js';
import { openEnvelope, sealEnvelope } from '../../../wire/envelope.js';
import type { UpBody, UpMessage, UpType } from '../../../wire/messages.js';
import { upTopic } from '../../../wire/topics.js';

export const centerKey = ed25519.utils.randomSecretKey();
export const auditKey = new Uint8Array(randomBytes(32));

/** A kiosk that signs: `up(type, body)` is the next message of its current session. */
export class TestKiosk {
  readonly sk = ed25519.utils.randomSecretKey();
  session = '';
  #seq = 0;
  constructor(readonly id: string) {
    this.newSession();
  }
  newSession(): void {
    this.session = randomBytes(16).toString('hex');
    this.#seq = 0;
  }
  up<T extends UpType>(type: T, body: UpBody<T>, deadlineMs = 30_000): { topic: string; payload: Buffer; seq: number } {
    const seq = ++this.#seq;
    const env = { v: 1 as const, kiosk: this.id, from: 'kiosk' as const, session: this.session, seq, deadline: Date.now() + deadlineMs, type, body };
    return { topic: upTopic(this.id), payload: Buffer.from(sealEnvelope(env, this.sk)), seq };
  }
  hello(): { topic: string; payload: Buffer; seq: number } {
    return this.up('hello', { agent: 'test/1', readers: [{ id: 'r1', kind: 'sim' }], card: { present: false } });
  }
  report(): { topic: string; payload: Buffer; seq: number } {
    return this.up('reader-report', { reader: 'r1', status: 'authenticated' });
  }
}

export async function register(db: Db, kiosk: TestKiosk): Promise<void> {
  const audit = new MerkleAuditLog({ signingKey: centerKey, clock: systemClock, logger: silentLogger });
  await addKiosk({ db, audit, clock: systemClock }, { id: kiosk.id, signingPublicKey: ed25519.getPublicKey(kiosk.sk), certFingerprint: `fp-${kiosk.id}` });
}

/**
 * An in-memory MQTT client: the test delivers; publishes are recorded and
 * acknowledged after `pubackMs`. `wire` (shared by several clients: one
 * broker's view) gets 'pub <kiosk> <seq>' when a publish starts and
 * 'ack <kiosk> <seq>' when its PUBACK comes.
 */
export class FakeClient implements BridgeClient {
  readonly published: { topic: string; payload: Buffer }[] = [];
  #listener: ((topic: string, payload: Buffer) => void) | undefined;
  constructor(
    private readonly pubackMs = 0,
    private readonly wire: string[] = [],
  ) {}
  subscribe(_topic: string, _opts: { qos: 0 | 1 }, cb: (err: Error | null, granted?: { qos: number }[]) => void): void {
    cb(null, [{ qos: 1 }]);
  }
  publish(topic: string, payload: Buffer, _opts: { qos: 0 | 1 }, cb: (err?: Error) => void): void {
    this.published.push({ topic, payload });
    const env = openEnvelope(new Uint8Array(payload), { topic, now: Date.now(), publicKeyFor: (from) => (from === 'center' ? ed25519.getPublicKey(centerKey) : undefined) });
    this.wire.push(`pub ${env.kiosk} ${env.seq}`);
    setTimeout(() => {
      this.wire.push(`ack ${env.kiosk} ${env.seq}`);
      cb();
    }, this.pubackMs);
  }
  on(event: 'message' | 'close', listener: ((topic: string, payload: Buffer) => void) | (() => void)): void {
    if (event === 'message') this.#listener = listener;
  }
  /** Installed by a Bridge with backpressure: called after 'message', as mqtt.js does; its callback sends the PUBACK. */
  handleMessage?: (packet: never, callback: (err?: Error) => void) => void;
  #pumpHeld = false;
  readonly #pumpQueue: { topic: string; payload: Buffer }[] = [];
  /**
   * One message from the broker. As mqtt.js's pump: with handleMessage
   * installed, nothing more is read until its callback runs; later
   * deliveries wait their turn (the broker holds them).
   */
  deliver(m: { topic: string; payload: Buffer }): void {
    if (this.#pumpHeld) {
      this.#pumpQueue.push(m);
      return;
    }
    this.#listener?.(m.topic, m.payload);
    if (!this.handleMessage) return;
    this.#pumpHeld = true;
    this.handleMessage({} as never, () => {
      this.#pumpHeld = false;
      const next = this.#pumpQueue.shift();
      if (next) this.deliver(next);
    });
  }
}

/** Audit entries of `kind` about `kiosk`, in log order: their `detail.seq`. */
export async function auditedSeqs(db: Db, kind: 'wire.in' | 'wire.out', kiosk: string): Promise<number[]> {
  const r = await db.query<{ entry: string }>('SELECT entry FROM audit_entries ORDER BY idx');
  return r.rows
    .map((row) => JSON.parse(row.entry) as { kind?: string; kiosk?: string; detail?: { seq?: number } })
    .filter((e) => e.kind === kind && e.kiosk === kiosk)
    .map((e) => e.detail?.seq ?? -1);
}

export interface Handled {
  worker: string;
  kiosk: string;
  type: string;
  at: number;
}

/** A dispatch that records, waits `holdMs` (a slow handler), then answers with one down message. */
export function recordingDispatch(worker: string, handled: Handled[], opts: { holdMs?: number; hold?: (ctx: InboundContext, msg: UpMessage) => Promise<void> } = {}): Dispatch {
  return async (ctx, msg) => {
    handled.push({ worker, kiosk: ctx.kiosk.id, type: msg.type, at: Date.now() });
    if (opts.hold) await opts.hold(ctx, msg);
    if (opts.holdMs) await new Promise((r) => setTimeout(r, opts.holdMs));
    await ctx.send('request-refused', { reason: 'busy' });
  };
}

export function makeBridge(db: Db, client: BridgeClient, dispatch: Dispatch, logger: Logger, extra: Partial<BridgeDeps> = {}): Bridge {
  const audit = new MerkleAuditLog({ signingKey: centerKey, clock: systemClock, logger });
  return new Bridge(client, { db, audit, clock: systemClock, logger, signingKey: centerKey, auditKey, deadlineMs: 30_000, ...extra }, dispatch);
}

/** The seq the bridge saw for each handled message of a kiosk, from its 'message in' log lines. */
export function seqsIn(lines: readonly string[], kiosk: string): number[] {
  return lines
    .map((l) => JSON.parse(l) as { msg?: string; kiosk?: string; seq?: number })
    .filter((l) => l.msg === 'message in' && l.kiosk === kiosk)
    .map((l) => l.seq!);
}

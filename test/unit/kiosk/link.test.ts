/**
 * The kiosk's MQTT link over an in-memory fake client, with the real wire
 * functions: the connect options, a new session on every connect, signed
 * up envelopes, and every refusal of a down envelope (replayed, wrong
 * signature, late, another session, malformed) dropped and logged with its
 * reason, never its payload.
 */
import type { SecureContext } from 'node:tls';
import t from 'tap';
import { EventEmitter } from 'node:events';
import { FakeClock } from '../../../common/clock.js';
import { memoryLogger } from '../../../common/log.js';
import { KioskLink, type DownDelivery } from '../../../kiosk/link.js';
import type { MqttClientLike, MqttConnectOptions } from '../../../kiosk/mqtt-client.js';
import { openEnvelope, sealEnvelope, type Envelope } from '../../../wire/envelope.js';
import { ed25519PublicKey } from '../../../wire/keys.js';
import { JOB, KIOSK, NOW, centerPublic, centerSecret, issuedBody } from './fakes.js';

const kioskSecret = new Uint8Array(32).fill(0x11);
const kioskPublic = ed25519PublicKey(kioskSecret);

class FakeMqtt extends EventEmitter implements MqttClientLike {
  connected = false;
  readonly subscribed: { topic: string; qos: number }[] = [];
  readonly published: { topic: string; payload: Buffer; opts: { qos: 1; retain?: boolean } }[] = [];
  ended = false;
  refuseSubscribe = false;
  noDelay: boolean[] = [];
  readonly stream = { setNoDelay: (on: boolean) => this.noDelay.push(on) };
  /** Publishes wait for this to resolve (PUBACK) when set. */
  puback: Promise<void> | undefined;
  subscribeAsync(topic: string, opts: { qos: 1 }): Promise<{ topic: string; qos: number }[]> {
    this.subscribed.push({ topic, qos: opts.qos });
    return Promise.resolve([{ topic, qos: this.refuseSubscribe ? 0x80 : 1 }]);
  }
  async publishAsync(topic: string, payload: Buffer, opts: { qos: 1; retain?: boolean }): Promise<unknown> {
    this.published.push({ topic, payload, opts });
    if (this.puback) await this.puback;
    return undefined;
  }
  endAsync(): Promise<void> {
    this.ended = true;
    return Promise.resolve();
  }
  /** The broker accepted the connection. */
  up(): void {
    this.connected = true;
    this.emit('connect');
  }
  drop(): void {
    this.connected = false;
    this.emit('close');
  }
}

/** A stand-in for the OpenSSL context the agent builds (kiosk/keystore/tls-context.ts). */
const FAKE_CONTEXT: SecureContext = { context: {} };

/** `fresh`: every connect gets a new client (a reconnect after a failed session setup); `client` stays the first. */
function setup(opts: { fresh?: boolean } = {}) {
  const client = new FakeMqtt();
  const clients: FakeMqtt[] = [client];
  const clock = new FakeClock(NOW);
  const logger = memoryLogger('link-test');
  const calls: { url: string; opts: MqttConnectOptions }[] = [];
  let counter = 0;
  const link = new KioskLink({
    kioskId: KIOSK,
    brokerUrl: 'mqtts://127.0.0.1:8883',
    secureContext: FAKE_CONTEXT,
    signingKey: kioskSecret,
    centerPublicKey: centerPublic,
    connect: (url, o) => {
      calls.push({ url, opts: o });
      if (!opts.fresh || calls.length === 1) return client;
      const next = new FakeMqtt();
      clients.push(next);
      return next;
    },
    clock,
    logger,
    random: (n) => Uint8Array.from({ length: n }, () => ++counter & 0xff),
  });
  const deliveries: DownDelivery[] = [];
  const sessions: (string | undefined)[] = [];
  let disconnects = 0;
  link.start({
    onSession: () => {
      sessions.push(link.session);
      return Promise.resolve();
    },
    onDown: (d) => deliveries.push(d),
    onDisconnect: () => disconnects++,
  });
  return { client, clients, clock, logger, link, calls, deliveries, sessions, disconnects: () => disconnects };
}

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

function downEnvelope(session: string, seq: number, overrides: Partial<Envelope> = {}): Envelope {
  return { v: 1, kiosk: KIOSK, from: 'center', session, seq, deadline: NOW + 10_000, type: 'issued', body: issuedBody(JOB), ...overrides };
}

function refusals(lines: string[]): { reason: string; type?: string }[] {
  return lines.map((l) => JSON.parse(l) as { msg: string; reason: string; type?: string }).filter((r) => r.msg === 'wire refused').map(({ reason, type }) => ({ reason, ...(type ? { type } : {}) }));
}

void t.test('connect options: MQTT 3.1.1, clean, client ID, mutual TLS, retained offline will', (t) => {
  const s = setup();
  t.equal(s.calls.length, 1);
  const { url, opts } = s.calls[0]!;
  t.equal(url, 'mqtts://127.0.0.1:8883');
  t.match(opts, { clientId: KIOSK, protocolVersion: 4, clean: true, rejectUnauthorized: true });
  t.equal(opts.secureContext, FAKE_CONTEXT, 'the one TLS context built at start, no key material of its own');
  t.equal(opts.will.topic, `kiosk/${KIOSK}/state`);
  t.equal(opts.will.payload.toString(), '{"online":false}');
  t.match(opts.will, { qos: 1, retain: true });
  t.end();
});

void t.test('each connect: new session, subscribe down QoS 1, retained online, then the runner; seq from 1', async (t) => {
  const s = setup();
  s.client.up();
  await tick();
  t.same(s.client.noDelay, [true], "Nagle's algorithm off on the socket");
  t.same(s.client.subscribed, [{ topic: `kiosk/${KIOSK}/down`, qos: 1 }]);
  t.same(s.client.published.map((p) => [p.topic, p.payload.toString(), p.opts]), [[`kiosk/${KIOSK}/state`, '{"online":true}', { qos: 1, retain: true }]]);
  t.equal(s.sessions.length, 1);
  const first = s.sessions[0]!;
  t.match(first, /^[0-9a-f]{32}$/);

  await s.link.send('hello', { agent: 'a/1', readers: [], card: { present: false } });
  s.clock.advance(5);
  await s.link.send('card-done', { job: JOB, action: 'ejected', ok: true });
  const ups = s.client.published.filter((p) => p.topic === `kiosk/${KIOSK}/up`);
  const envs = ups.map((p) => openEnvelope(new Uint8Array(p.payload), { topic: p.topic, now: NOW, publicKeyFor: (from) => (from === 'kiosk' ? kioskPublic : undefined) }));
  t.same(envs.map((e) => [e.session, e.seq, e.deadline, e.type]), [
    [first, 1, NOW + 30_000, 'hello'],
    [first, 2, NOW + 5 + 30_000, 'card-done'],
  ]);
  t.ok(ups.every((p) => p.opts.qos === 1 && p.opts.retain !== true));

  s.client.drop();
  t.equal(s.disconnects(), 1);
  await t.rejects(s.link.send('hello', { agent: 'a/1', readers: [], card: { present: false } }), { code: 'LINK_DOWN' });
  s.client.up();
  await tick();
  t.equal(s.sessions.length, 2);
  t.not(s.sessions[1], first, 'a new session on reconnect');
  await s.link.send('hello', { agent: 'a/1', readers: [], card: { present: false } });
  const last = s.client.published.at(-1)!;
  const env = openEnvelope(new Uint8Array(last.payload), { topic: last.topic, now: NOW, publicKeyFor: () => kioskPublic });
  t.equal(env.seq, 1, 'seq restarts with the session');
});

void t.test('a refused subscription (dynsec: no role yet): the connection ends and a new one retries with backoff until the session opens', async (t) => {
  const s = setup({ fresh: true });
  s.client.refuseSubscribe = true;
  s.client.up();
  await tick();
  t.equal(s.sessions.length, 0, 'no session on a connection that cannot hear the center');
  t.ok(s.client.ended, 'that connection is ended, not left deaf and mute');
  const failed = s.logger.lines.map((l) => JSON.parse(l) as { msg: string; err?: { message?: string }; retryInMs?: number }).filter((l) => l.msg === 'session setup failed: connecting again');
  t.equal(failed.length, 1, 'logged once');
  t.match(failed[0], { err: { message: /subscription to kiosk\/.+\/down refused/ }, retryInMs: 2_000 }, 'with the reason and the wait');
  s.clock.advance(1_999);
  await tick();
  t.equal(s.calls.length, 1, 'not before the wait');
  s.clock.advance(1);
  await tick();
  t.equal(s.calls.length, 2, 'a new connection after the wait');
  // Refused again: the wait doubles.
  s.clients[1]!.refuseSubscribe = true;
  s.clients[1]!.up();
  await tick();
  s.clock.advance(3_999);
  await tick();
  t.equal(s.calls.length, 2, 'the second wait is longer');
  s.clock.advance(1);
  await tick();
  t.equal(s.calls.length, 3);
  // The reconciler gave the kiosk its role: granted, the session opens and the runner says hello.
  const third = s.clients[2]!;
  third.up();
  await tick();
  t.equal(s.sessions.length, 1, 'the link reaches its session');
  await s.link.send('hello', { agent: 'a/1', readers: [], card: { present: false } });
  t.ok(third.published.some((p) => p.topic === `kiosk/${KIOSK}/up`), 'hello sent on the new connection');
  // A later failure starts from the first wait again.
  third.drop();
  third.refuseSubscribe = true;
  third.up();
  await tick();
  s.clock.advance(2_000);
  await tick();
  t.equal(s.calls.length, 4, 'the backoff was reset by the session that opened');
  await s.link.stop();
  t.equal(s.clock.pending, 0, 'stop leaves no timer');
});

void t.test('stop during the backoff: no new connection', async (t) => {
  const s = setup({ fresh: true });
  s.client.refuseSubscribe = true;
  s.client.up();
  await tick();
  await s.link.stop();
  s.clock.advance(60_000);
  await tick();
  t.equal(s.calls.length, 1);
  t.equal(s.clock.pending, 0);
});

void t.test('down: valid delivered once; replayed, forged, late, other session, malformed dropped with the reason', async (t) => {
  const s = setup();
  s.client.up();
  await tick();
  const session = s.sessions[0]!;
  const topic = `kiosk/${KIOSK}/down`;
  const send = (payload: Uint8Array, on = topic): void => void s.client.emit('message', on, Buffer.from(payload));

  const good = sealEnvelope(downEnvelope(session, 1), centerSecret);
  send(good);
  t.equal(s.deliveries.length, 1);
  t.same(s.deliveries[0], { message: { type: 'issued', body: issuedBody(JOB) }, deadline: NOW + 10_000, seq: 1 });

  send(good); // QoS 1 redelivery or a replay
  send(sealEnvelope(downEnvelope(session, 2), new Uint8Array(32).fill(0x66))); // not the center's key
  send(sealEnvelope(downEnvelope(session, 3, { deadline: NOW - 1 }), centerSecret)); // late
  send(sealEnvelope(downEnvelope('f'.repeat(32), 4), centerSecret)); // another session
  send(sealEnvelope(downEnvelope(session, 5, { body: { job: 'not-a-uuid' } }), centerSecret)); // malformed body
  send(sealEnvelope(downEnvelope(session, 6, { type: 'format-disk' }), centerSecret)); // unknown type
  send(new TextEncoder().encode('not json at all'));
  send(sealEnvelope(downEnvelope(session, 7), centerSecret), `kiosk/${KIOSK}/up`); // wrong topic
  t.equal(s.deliveries.length, 1, 'nothing else delivered');
  t.same(refusals(s.logger.lines), [
    { reason: 'replayed', type: 'issued' },
    { reason: 'bad-signature' },
    { reason: 'late' },
    { reason: 'unknown-session', type: 'issued' },
    { reason: 'malformed', type: 'issued' },
    { reason: 'unknown-type' },
    { reason: 'malformed' },
  ]);
  t.notMatch(s.logger.lines.join(''), /not-a-uuid|format-disk|not json/, 'no payload content in the logs');

  send(sealEnvelope(downEnvelope(session, 9), centerSecret));
  t.equal(s.deliveries.length, 2, 'gaps are allowed; the window moved on');
  t.equal(s.deliveries[1]!.seq, 9);
});

void t.test('a send waiting for its PUBACK fails LINK_DOWN when the link drops; stop says offline', async (t) => {
  const s = setup();
  s.client.up();
  await tick();
  s.client.puback = new Promise(() => undefined);
  const pending = s.link.send('hello', { agent: 'a/1', readers: [], card: { present: false } });
  await tick();
  s.client.drop();
  await t.rejects(pending, { code: 'LINK_DOWN' });

  s.client.puback = undefined;
  s.client.up();
  await tick();
  await s.link.stop();
  const lastState = s.client.published.filter((p) => p.topic === `kiosk/${KIOSK}/state`).at(-1)!;
  t.equal(lastState.payload.toString(), '{"online":false}');
  t.ok(lastState.opts.retain);
  t.ok(s.client.ended);
  t.equal(s.link.session, undefined);
});

void t.test('renewSession: a new session on the same connection, seq from 1; the old session is refused; nothing while down', async (t) => {
  const s = setup();
  s.client.up();
  await tick();
  const first = s.sessions[0]!;
  await s.link.send('hello', { agent: 'a/1', readers: [], card: { present: false } });
  await s.link.renewSession();
  t.equal(s.sessions.length, 2, 'the runner was handed a new session (its hello)');
  t.not(s.sessions[1], first);
  t.equal(s.calls.length, 1, 'no new connection');
  await s.link.send('hello', { agent: 'a/1', readers: [], card: { present: false } });
  const last = s.client.published.at(-1)!;
  const env = openEnvelope(new Uint8Array(last.payload), { topic: last.topic, now: NOW, publicKeyFor: () => kioskPublic });
  t.same([env.session, env.seq], [s.sessions[1], 1], 'seq restarts with the session');
  s.client.emit('message', `kiosk/${KIOSK}/down`, Buffer.from(sealEnvelope(downEnvelope(first, 1), centerSecret)));
  t.equal(s.deliveries.length, 0, 'a down message of the old session is not delivered');
  t.same(refusals(s.logger.lines), [{ reason: 'unknown-session', type: 'issued' }]);
  s.client.drop();
  await s.link.renewSession();
  t.equal(s.sessions.length, 2, 'while down: nothing (the reconnect opens the next session)');
});

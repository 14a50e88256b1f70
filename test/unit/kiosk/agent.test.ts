/**
 * startKiosk end to end without a network: the identity from a development
 * PKI, the link over an in-memory MQTT client, and a scripted center on the
 * other side of it speaking the real wire (signed envelopes both ways).
 * Also: the identity checks (CN, key pair, files) and stop().
 */
import t from 'tap';
import { EventEmitter } from 'node:events';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { toHex } from '../../../card/bytes.js';
import { FakeClock } from '../../../common/clock.js';
import { memoryLogger } from '../../../common/log.js';
import { readKeyFile } from '../../../common/key-files.js';
import { startKiosk } from '../../../kiosk/agent.js';
import { decodeKioskConfig } from '../../../kiosk/config.js';
import type { KioskEvent } from '../../../kiosk/events.js';
import { loadIdentity } from '../../../kiosk/identity.js';
import type { MqttClientLike } from '../../../kiosk/mqtt-client.js';
import { initDevPki } from '../../../provisioning/pki/dev-pki.js';
import { decodeUp } from '../../../wire/codec.js';
import { openEnvelope, sealEnvelope, type Envelope } from '../../../wire/envelope.js';
import type { DownBody, DownType, UpMessage } from '../../../wire/messages.js';
import { signRegistry } from '../../../wire/registry.js';
import { CODE, FakeStation, FakeTransport, JOB, NOW, READER, SCRIPT, SCRIPT_RESPONSES, cardAnswers, readerPublic } from './fakes.js';

const ID = 'kiosk-7';

type SubTest = Parameters<Parameters<typeof t.test>[0]>[0];

async function pki(t: SubTest): Promise<{ dir: string; kioskDir: string; centerSecret: Uint8Array; kioskPublic: Uint8Array }> {
  const dir = await mkdtemp(join(tmpdir(), 'cardline-kiosk-agent-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const layout = await initDevPki(dir, { kiosks: [ID], days: 1, caDays: 2 });
  const k = layout.kiosks[ID]!;
  return {
    dir,
    kioskDir: k.dir,
    centerSecret: await readKeyFile(layout.center.signingKey, 32, { secret: true }),
    kioskPublic: await readKeyFile(k.signingPub, 32),
  };
}

/** An MQTT client whose broker is a scripted center: it answers each up message with down messages. */
class CenterOnTheWire extends EventEmitter implements MqttClientLike {
  connected = false;
  readonly ups: UpMessage[] = [];
  readonly states: string[] = [];
  #seq = 0;
  constructor(
    private readonly clock: FakeClock,
    private readonly centerSecret: Uint8Array,
    private readonly kioskPublic: Uint8Array,
    private readonly answer: (m: UpMessage, reply: <T extends DownType>(type: T, body: DownBody<T>) => void) => void,
  ) {
    super();
  }
  subscribeAsync(topic: string): Promise<{ topic: string; qos: number }[]> {
    return Promise.resolve([{ topic, qos: 1 }]);
  }
  publishAsync(topic: string, payload: Buffer): Promise<unknown> {
    if (topic.endsWith('/state')) {
      this.states.push(payload.toString());
      return Promise.resolve(undefined);
    }
    const env = openEnvelope(new Uint8Array(payload), { topic, now: this.clock.now(), publicKeyFor: (from) => (from === 'kiosk' ? this.kioskPublic : undefined) });
    const m = decodeUp(env);
    this.ups.push(m);
    // Answer after the kiosk's publish resolved, as a broker round trip would.
    setImmediate(() =>
      this.answer(m, (type, body) => {
        const down: Envelope = { v: 1, kiosk: ID, from: 'center', session: env.session, seq: ++this.#seq, deadline: this.clock.now() + 10_000, type, body };
        this.emit('message', `kiosk/${ID}/down`, Buffer.from(sealEnvelope(down, this.centerSecret)));
      }),
    );
    return Promise.resolve(undefined);
  }
  endAsync(): Promise<void> {
    this.connected = false;
    return Promise.resolve();
  }
}

void t.test('one customer end to end over the wire: issued, card ejected, signing key zeroized on stop', async (t) => {
  const p = await pki(t);
  const clock = new FakeClock(NOW);
  const logger = memoryLogger('agent-test');
  const events: KioskEvent[] = [];
  const station = new FakeStation(new FakeTransport(cardAnswers()));
  const registry = signRegistry({ v: 1, kiosk: ID, version: 1, issuedAt: NOW, readers: [{ id: READER, kind: 'sim', publicKey: toHex(readerPublic) }] }, p.centerSecret);
  const client = new CenterOnTheWire(clock, p.centerSecret, p.kioskPublic, (m, reply) => {
    if (m.type === 'hello') reply('welcome', { registry });
    if (m.type === 'request') reply('insert-card', { job: JOB, attempt: 1, challenge: '0102030405060708', sdAid: 'A000000151000000', kvn: 0x30, recover: false });
    if (m.type === 'card') reply('script', { job: JOB, attempt: 1, kind: 'write', stop: 'first-error', apdus: [...SCRIPT], summary: { storeDataBlocks: 2, dgis: 1 } });
    if (m.type === 'result') reply('issued', { job: JOB });
  });
  let connectUrl = '';
  const agent = await startKiosk({
    config: decodeKioskConfig({ identityDir: p.kioskDir, brokerUrl: 'mqtts://127.0.0.1:18883', stationDir: '/unused' }),
    station,
    clock,
    logger,
    random: (n) => new Uint8Array(n).fill(7),
    events: (e) => events.push(e),
    mqttConnect: (url) => {
      connectUrl = url;
      return client;
    },
  });
  t.equal(connectUrl, 'mqtts://127.0.0.1:18883');
  t.equal(agent.state(), 'offline');
  client.connected = true;
  client.emit('connect');
  await agent.ready;
  t.equal(agent.state(), 'ready');

  const outcome = await agent.request('app-1', CODE);
  t.same(outcome, { outcome: 'issued', job: JOB });
  t.same(
    client.ups.map((m) => m.type),
    ['hello', 'reader-report', 'request', 'card', 'result', 'card-done'],
  );
  t.same(client.ups.find((m) => m.type === 'result')?.body, { job: JOB, attempt: 1, responses: SCRIPT_RESPONSES });
  t.same(client.ups.find((m) => m.type === 'hello')?.body, { agent: 'cardline-kiosk/0.1.0', readers: [{ id: READER, kind: 'sim' }], card: { present: false } });
  t.same(station.moves, ['feed', 'eject']);
  t.ok(events.some((e) => e.type === 'issued'));
  t.notMatch(logger.lines.join(''), new RegExp(CODE), 'the code is not logged');

  await agent.stop();
  await agent.stop();
  t.same(client.states, ['{"online":true}', '{"online":false}']);
  t.equal(agent.state(), 'stopped');
  await t.resolves(agent.ready, 'ready stays resolved after stop');
});

void t.test('identity: CN is the kiosk ID; mismatch, missing files, a foreign TLS key are refused', async (t) => {
  const p = await pki(t);
  const id = await loadIdentity(p.kioskDir);
  t.equal(id.kioskId, ID);
  t.equal(id.signingKey.length, 32);
  t.match(id.tls.cert, /BEGIN CERTIFICATE/);
  id.dispose();
  t.ok(id.signingKey.every((b) => b === 0), 'dispose zeroizes the signing key');
  t.equal((await loadIdentity(p.kioskDir, ID)).kioskId, ID);
  await t.rejects(loadIdentity(p.kioskDir, 'kiosk-8'), { code: 'IDENTITY_MISMATCH' });
  await t.rejects(loadIdentity(join(p.dir, 'nowhere')), { code: 'IDENTITY_INVALID' });
  // The broker's key is a valid P-256 key, but not this certificate's.
  await writeFile(join(p.kioskDir, 'tls.key'), await readFile(join(p.dir, 'broker', 'tls.key')), { mode: 0o600 });
  await t.rejects(loadIdentity(p.kioskDir), { code: 'IDENTITY_INVALID', message: /not the key of tls\.crt/ });
});

void t.test('startKiosk refuses a certificate for another kiosk before connecting', async (t) => {
  const p = await pki(t);
  let connected = false;
  await t.rejects(
    startKiosk({
      config: decodeKioskConfig({ kioskId: 'kiosk-9', identityDir: p.kioskDir, brokerUrl: 'mqtts://127.0.0.1:1', stationDir: '/x' }),
      station: new FakeStation(new FakeTransport(cardAnswers())),
      clock: new FakeClock(NOW),
      logger: memoryLogger(),
      random: (n) => new Uint8Array(n),
      events: () => undefined,
      mqttConnect: () => {
        connected = true;
        throw new Error('must not connect');
      },
    }),
    { code: 'IDENTITY_MISMATCH' },
  );
  t.notOk(connected);
});

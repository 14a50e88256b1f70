/**
 * startKiosk end to end without a network: the identity from a development
 * PKI and its keys from the dev sealed key store, the link over an
 * in-memory MQTT client, and a scripted center on the other side of it
 * speaking the real wire (signed envelopes both ways). Also: the identity
 * checks (CN, files), a store that does not unseal or holds another TLS
 * key (the kiosk does not connect), and stop() zeroizing every secret.
 */
import t from 'tap';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { toHex } from '../../../card/bytes.js';
import { FakeClock } from '../../../common/clock.js';
import { memoryLogger } from '../../../common/log.js';
import { startKiosk } from '../../../kiosk/agent.js';
import { decodeKioskConfig } from '../../../kiosk/config.js';
import type { KioskEvent } from '../../../kiosk/events.js';
import { loadIdentity } from '../../../kiosk/identity.js';
import { DEV_SCRYPT, SealedFileStore, sealIntoFile, type KioskKeyStore, type KioskSecrets } from '../../../kiosk/keystore/index.js';
import { signRegistry } from '../../../wire/registry.js';
import { CODE, FakeStation, FakeTransport, JOB, NOW, READER, SCRIPT, SCRIPT_RESPONSES, cardAnswers, issuedBody, readerEntry, readerPublic } from './fakes.js';
import { CenterOnTheWire, ID, pki } from './wire-center.js';

/** The dev store of the test PKI, keeping what it unsealed for inspection. */
function watchedStore(p: { kioskDir: string; machineSecret: string }): KioskKeyStore & { unsealed: KioskSecrets[] } {
  const real = new SealedFileStore({ file: join(p.kioskDir, 'keys.sealed'), machineSecretFile: p.machineSecret });
  const unsealed: KioskSecrets[] = [];
  return {
    kind: real.kind,
    describe: () => real.describe(),
    unseal: async () => {
      const s = await real.unseal();
      unsealed.push(s);
      return s;
    },
    unsealed,
  };
}

const zero = (b: Uint8Array): boolean => b.length > 0 && b.every((x) => x === 0);

void t.test('one customer end to end over the wire: issued, card ejected, every secret zeroized on stop', async (t) => {
  const p = await pki(t);
  const clock = new FakeClock(NOW);
  const logger = memoryLogger('agent-test');
  const events: KioskEvent[] = [];
  const station = new FakeStation(new FakeTransport(cardAnswers()));
  const registry = signRegistry({ v: 2, kiosk: ID, version: 1, issuedAt: NOW, readers: [readerEntry({ publicKey: toHex(readerPublic) })] }, p.centerSecret);
  const client = new CenterOnTheWire(clock, p.centerSecret, p.kioskPublic, (m, reply) => {
    if (m.type === 'hello') reply('welcome', { registry });
    if (m.type === 'request') reply('insert-card', { job: JOB, attempt: 1, challenge: '0102030405060708', sdAid: 'A000000151000000', kvn: 0x30, recover: false });
    if (m.type === 'card') reply('script', { job: JOB, attempt: 1, kind: 'write', stop: 'first-error', apdus: [...SCRIPT], summary: { storeDataBlocks: 2, dgis: 1 } });
    if (m.type === 'result') reply('issued', issuedBody(JOB));
  });
  let connectUrl = '';
  let secureContext: unknown;
  const store = watchedStore(p);
  const agent = await startKiosk({
    config: decodeKioskConfig({ identityDir: p.kioskDir, keyStore: p.keyStore, brokerUrl: 'mqtts://127.0.0.1:18883', station: '/unused' }),
    keyStore: store,
    station,
    clock,
    logger,
    random: (n) => new Uint8Array(n).fill(7),
    events: (e) => events.push(e),
    mqttConnect: (url, o) => {
      connectUrl = url;
      secureContext = o.secureContext;
      return client;
    },
  });
  t.equal(connectUrl, 'mqtts://127.0.0.1:18883');
  t.equal(store.unsealed.length, 1, 'the store is unsealed once, at start');
  const secrets = store.unsealed[0]!;
  t.ok(secureContext && typeof secureContext === 'object' && 'context' in secureContext, 'mqtt.js gets one OpenSSL secure context');
  t.ok(zero(secrets.tls.pem), 'the TLS key bytes are zeroized once the context is built');
  t.notOk(zero(secrets.signingKey), 'the signing key is in memory while the kiosk runs');
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
  t.ok(zero(secrets.signingKey) && zero(secrets.sealingKey), 'stop zeroizes the signing and sealing keys');
  await t.resolves(agent.ready, 'ready stays resolved after stop');
});

void t.test('identity: only public files; CN is the kiosk ID; mismatch and missing files are refused', async (t) => {
  const p = await pki(t);
  const id = await loadIdentity(p.kioskDir);
  t.equal(id.kioskId, ID);
  t.match(id.tls.cert, /BEGIN CERTIFICATE/);
  t.same(Object.keys(id.tls).sort(), ['ca', 'cert'], 'no private key in the identity');
  t.equal((await loadIdentity(p.kioskDir, ID)).kioskId, ID);
  await t.rejects(loadIdentity(p.kioskDir, 'kiosk-8'), { code: 'IDENTITY_MISMATCH' });
  await t.rejects(loadIdentity(join(p.dir, 'nowhere')), { code: 'IDENTITY_INVALID' });
});

/** startKiosk over the test PKI with `keyStore`; records whether it tried to connect. */
function start(p: Awaited<ReturnType<typeof pki>>, keyStore: object): { connected: () => boolean; result: Promise<unknown> } {
  let connected = false;
  const result = startKiosk({
    config: decodeKioskConfig({ identityDir: p.kioskDir, keyStore, brokerUrl: 'mqtts://127.0.0.1:1', station: '/x' }),
    station: new FakeStation(new FakeTransport(cardAnswers())),
    clock: new FakeClock(NOW),
    logger: memoryLogger(),
    random: (n) => new Uint8Array(n),
    events: () => undefined,
    mqttConnect: () => {
      connected = true;
      throw new Error('must not connect');
    },
  });
  return { connected: () => connected, result };
}

void t.test('a store that does not unseal, or holds another TLS key: the kiosk does not start and does not connect', async (t) => {
  const p = await pki(t);
  const wrongSecret = join(p.dir, 'other-secret');
  await writeFile(wrongSecret, 'another machine secret, 0600\n', { mode: 0o600 });
  const a = start(p, { kind: 'sealed-file', machineSecretFile: wrongSecret });
  await t.rejects(a.result, { name: 'KeyStoreError', code: 'UNSEAL_FAILED', message: /^UNSEAL_FAILED: cannot open the sealed key store .*keys\.sealed: the machine secret .*other-secret is not the one/ });
  t.notOk(a.connected());
  const b = start(p, { kind: 'sealed-file', machineSecretFile: p.machineSecret, file: join(p.dir, 'none.sealed') });
  await t.rejects(b.result, { code: 'MISSING', message: /none\.sealed: no such file/ });

  // A store holding the broker's key (a valid P-256 key, but not this certificate's).
  const file = join(p.dir, 'foreign.sealed');
  const pem = new Uint8Array(await readFile(join(p.dir, 'broker', 'tls.key')));
  await sealIntoFile({ signingKey: new Uint8Array(32).fill(1), sealingKey: new Uint8Array(32).fill(2), tls: { kind: 'pem', pem } }, { file, machineSecretFile: p.machineSecret, scrypt: DEV_SCRYPT, random: (n) => new Uint8Array(n).fill(3) });
  const c = start(p, { kind: 'sealed-file', machineSecretFile: p.machineSecret, file });
  await t.rejects(c.result, { code: 'INVALID', message: /TLS key is not the key of the identity's tls\.crt/ });
  t.notOk(c.connected());
});

void t.test('startKiosk refuses a certificate for another kiosk before connecting', async (t) => {
  const p = await pki(t);
  let connected = false;
  await t.rejects(
    startKiosk({
      config: decodeKioskConfig({ kioskId: 'kiosk-9', identityDir: p.kioskDir, keyStore: p.keyStore, brokerUrl: 'mqtts://127.0.0.1:1', station: '/x' }),
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

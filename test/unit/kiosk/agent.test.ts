/**
 * startKiosk end to end without a network: the identity from a development
 * PKI, the link over an in-memory MQTT client, and a scripted center on the
 * other side of it speaking the real wire (signed envelopes both ways).
 * Also: the identity checks (CN, key pair, files) and stop().
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
import { signRegistry } from '../../../wire/registry.js';
import { CODE, FakeStation, FakeTransport, JOB, NOW, READER, SCRIPT, SCRIPT_RESPONSES, cardAnswers, issuedBody, readerEntry, readerPublic } from './fakes.js';
import { CenterOnTheWire, ID, pki } from './wire-center.js';

void t.test('one customer end to end over the wire: issued, card ejected, signing key zeroized on stop', async (t) => {
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
  const agent = await startKiosk({
    config: decodeKioskConfig({ identityDir: p.kioskDir, brokerUrl: 'mqtts://127.0.0.1:18883', station: '/unused' }),
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
      config: decodeKioskConfig({ kioskId: 'kiosk-9', identityDir: p.kioskDir, brokerUrl: 'mqtts://127.0.0.1:1', station: '/x' }),
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

/**
 * Gates 2–4 of the broker, past a valid TLS handshake: CONNECT (registry,
 * client ID, last will), SUBSCRIBE and PUBLISH outside the kiosk's own
 * topics. Each case asserts the client-visible outcome (CONNACK code,
 * SUBACK 0x80, disconnection, a message that never arrives) and the
 * reported reason.
 */
import t from 'tap';
import type { Packet } from 'mqtt';
import { attempt, client, makePki, start, waitFor } from './helpers.js';

void t.test('a kiosk the registry refuses as revoked: CONNACK 5, reason kiosk-revoked', async (t) => {
  const pki = await makePki(t);
  const run = await start(t, pki, { revoked: ['kiosk-2'] });
  const a = await attempt(run, pki, await pki.kiosk('kiosk-2'), 'kiosk-2');
  t.equal(a.connected, false);
  t.equal(a.error?.code, 5, 'CONNACK return code 5: not authorized');
  t.same(run.refusals, [{ stage: 'connect', reason: 'kiosk-revoked', kiosk: 'kiosk-2' }]);
  t.match(run.logs.join(''), /"msg":"connect refused","stage":"connect","reason":"kiosk-revoked","kiosk":"kiosk-2"/);
  t.equal(run.broker.clientCount(), 0);
  t.equal((await attempt(run, pki, await pki.kiosk('kiosk-1'), 'kiosk-1')).connected, true, 'another kiosk is admitted');
});

void t.test('admitKiosk failing: CONNACK 3 (server unavailable), so the kiosk retries later', async (t) => {
  const pki = await makePki(t);
  const run = await start(t, pki, { admit: () => Promise.reject(new Error('database down')) });
  const a = await attempt(run, pki, await pki.kiosk('kiosk-1'), 'kiosk-1');
  t.equal(a.error?.code, 3);
  t.same(run.refusals, [{ stage: 'connect', reason: 'admission-error' }]);
});

void t.test("client IDs are tied to the certificate: another kiosk's, an empty one, the center's", async (t) => {
  const pki = await makePki(t);
  const run = await start(t, pki);
  const kiosk1 = await pki.kiosk('kiosk-1');
  for (const id of ['kiosk-2', 'cardline-center']) {
    const a = await attempt(run, pki, kiosk1, id);
    t.equal(a.error?.code, 5, `kiosk-1 as '${id}' gets CONNACK 5`);
  }
  const empty = await attempt(run, pki, kiosk1, '', { clean: true });
  t.equal(empty.error?.code, 5, 'an empty client ID (broker-assigned) is refused for a kiosk');
  const center = await attempt(run, pki, pki.center, 'kiosk-1');
  t.equal(center.error?.code, 5, 'the center may not take a kiosk ID');
  t.same(
    run.refusals.map((r) => `${r.reason}/${r.kiosk ?? '-'}`),
    ['client-id-mismatch/kiosk-1', 'client-id-mismatch/kiosk-1', 'client-id-mismatch/kiosk-1', 'client-id-mismatch/-'],
  );
});

void t.test("a last will on another kiosk's topic is refused at CONNECT", async (t) => {
  const pki = await makePki(t);
  const run = await start(t, pki);
  const a = await attempt(run, pki, await pki.kiosk('kiosk-1'), 'kiosk-1', { will: { topic: 'kiosk/kiosk-2/state', payload: Buffer.from('offline'), qos: 1, retain: true } });
  t.equal(a.error?.code, 5);
  t.same(run.refusals, [{ stage: 'connect', reason: 'will-topic-not-allowed', kiosk: 'kiosk-1' }]);
});

void t.test("publishing to another kiosk's up topic: never delivered, the kiosk is disconnected", async (t) => {
  const pki = await makePki(t);
  const run = await start(t, pki);
  const center = await client(t, run, pki, pki.center, 'cardline-center');
  const received: string[] = [];
  center.on('message', (topic, payload) => received.push(`${topic} ${payload.toString()}`));
  await center.subscribeAsync('kiosk/+/up', { qos: 1 });
  const kiosk1 = await client(t, run, pki, await pki.kiosk('kiosk-1'), 'kiosk-1');
  const kiosk2 = await client(t, run, pki, await pki.kiosk('kiosk-2'), 'kiosk-2');
  let closed = false;
  kiosk1.on('close', () => (closed = true));
  kiosk1.publish('kiosk/kiosk-2/up', 'forged by kiosk-1', { qos: 1 });
  await waitFor(() => closed, 'kiosk-1 to be disconnected');
  // A marker through the same broker after the refusal: when it has arrived, the forged message would have too.
  await kiosk2.publishAsync('kiosk/kiosk-2/up', 'marker', { qos: 1 });
  await waitFor(() => received.length > 0, 'the marker');
  t.same(received, ['kiosk/kiosk-2/up marker'], 'only the marker reached the center');
  t.same(run.refusals, [{ stage: 'publish', reason: 'topic-not-allowed', kiosk: 'kiosk-1', topic: 'kiosk/kiosk-2/up' }]);
  t.match(run.logs.join(''), /"msg":"publish refused","stage":"publish","reason":"topic-not-allowed","kiosk":"kiosk-1","topic":"kiosk\/kiosk-2\/up"/);
  t.notOk(run.logs.join('').includes('forged by'), 'the payload is not logged');
});

void t.test('RETAIN on an up topic: dropped, disconnected, reason retain-not-allowed', async (t) => {
  const pki = await makePki(t);
  const run = await start(t, pki);
  const kiosk = await client(t, run, pki, await pki.kiosk('kiosk-1'), 'kiosk-1');
  let closed = false;
  kiosk.on('close', () => (closed = true));
  kiosk.publish('kiosk/kiosk-1/up', 'x', { qos: 1, retain: true });
  await waitFor(() => closed, 'the disconnect');
  t.same(run.refusals, [{ stage: 'publish', reason: 'retain-not-allowed', kiosk: 'kiosk-1', topic: 'kiosk/kiosk-1/up' }]);
});

void t.test("subscribing to another kiosk's down topic and to kiosk/#: SUBACK 0x80, the connection stays", async (t) => {
  const pki = await makePki(t);
  const run = await start(t, pki);
  const kiosk = await client(t, run, pki, await pki.kiosk('kiosk-1'), 'kiosk-1');
  const subacks: number[][] = [];
  kiosk.on('packetreceive', (p: Packet) => {
    if (p.cmd === 'suback') subacks.push(p.granted.map((g) => (typeof g === 'number' ? g : -1)));
  });
  await t.rejects(kiosk.subscribeAsync('kiosk/kiosk-2/down', { qos: 1 }), { name: 'ErrorWithSubackPacket' });
  await t.rejects(kiosk.subscribeAsync('kiosk/#', { qos: 1 }), { name: 'ErrorWithSubackPacket' });
  t.same(subacks, [[128], [128]], 'SUBACK return code 0x80 (MQTT 3.1.1 §3.9.3)');
  t.same((await kiosk.subscribeAsync('kiosk/kiosk-1/down', { qos: 1 })).map((g) => g.qos), [1], 'still connected; its own topic is granted');
  t.same(run.refusals, [
    { stage: 'subscribe', reason: 'topic-not-allowed', kiosk: 'kiosk-1', topic: 'kiosk/kiosk-2/down' },
    { stage: 'subscribe', reason: 'wildcard', kiosk: 'kiosk-1', topic: 'kiosk/#' },
  ]);

  // And what a granted filter would have delivered never arrives: the center writes to kiosk-2.
  const center = await client(t, run, pki, pki.center, 'cardline-center');
  const got: string[] = [];
  kiosk.on('message', (topic) => got.push(topic));
  await center.publishAsync('kiosk/kiosk-2/down', 'for kiosk-2', { qos: 1 });
  await center.publishAsync('kiosk/kiosk-1/down', 'for kiosk-1', { qos: 1 });
  await waitFor(() => got.length > 0, 'the own down message');
  t.same(got, ['kiosk/kiosk-1/down']);
});

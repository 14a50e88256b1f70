/**
 * The embedded broker, allowed traffic: real mutual TLS on loopback with
 * certificates from initDevPki, mqtt.js 5 clients on MQTT 3.1.1. A kiosk's
 * up message reaches the center, the center's down message reaches the
 * kiosk, the kiosk's retained state (and its last will) reach a later
 * subscriber; the center can disconnect a kiosk; close() ends everything.
 */
import t from 'tap';
import { connect as netConnect } from 'node:net';
import { client, makePki, start, waitFor } from './helpers.js';

void t.test('kiosk up → center, center down → kiosk (QoS 1), no refusals', async (t) => {
  const pki = await makePki(t);
  const run = await start(t, pki);
  const center = await client(t, run, pki, pki.center, 'cardline-center-1');
  const kiosk = await client(t, run, pki, await pki.kiosk('kiosk-1'), 'kiosk-1');
  t.equal(run.broker.clientCount(), 2);

  const atCenter: { topic: string; payload: string; qos: number }[] = [];
  center.on('message', (topic, payload, packet) => atCenter.push({ topic, payload: payload.toString(), qos: packet.qos }));
  const granted = await center.subscribeAsync(['kiosk/+/up', 'kiosk/+/state'], { qos: 1 });
  t.same(granted.map((g) => g.qos), [1, 1]);

  const atKiosk: { topic: string; payload: string }[] = [];
  kiosk.on('message', (topic, payload) => atKiosk.push({ topic, payload: payload.toString() }));
  t.same((await kiosk.subscribeAsync('kiosk/kiosk-1/down', { qos: 1 })).map((g) => g.qos), [1]);

  await kiosk.publishAsync('kiosk/kiosk-1/up', 'hello from kiosk-1', { qos: 1 });
  await waitFor(() => atCenter.length === 1, 'the up message at the center');
  t.same(atCenter, [{ topic: 'kiosk/kiosk-1/up', payload: 'hello from kiosk-1', qos: 1 }]);

  await center.publishAsync('kiosk/kiosk-1/down', 'script for kiosk-1', { qos: 1 });
  await waitFor(() => atKiosk.length === 1, 'the down message at the kiosk');
  t.same(atKiosk, [{ topic: 'kiosk/kiosk-1/down', payload: 'script for kiosk-1' }]);
  t.same(run.refusals, []);
  t.notOk(run.logs.join('').includes('hello from kiosk-1') || run.logs.join('').includes('script for'), 'payloads are never logged');
  t.match(run.logs.join(''), /"msg":"client connected","role":"kiosk","kiosk":"kiosk-1"/);
});

void t.test('retained state and the last will on kiosk/<id>/state reach a later subscriber', async (t) => {
  const pki = await makePki(t);
  const run = await start(t, pki);
  const kiosk = await client(t, run, pki, await pki.kiosk('kiosk-2'), 'kiosk-2', {
    will: { topic: 'kiosk/kiosk-2/state', payload: Buffer.from('offline'), qos: 1, retain: true },
  });
  await kiosk.publishAsync('kiosk/kiosk-2/state', 'online', { qos: 1, retain: true });
  const center = await client(t, run, pki, pki.center, 'cardline-center');
  const states: string[] = [];
  center.on('message', (_topic, payload, packet) => states.push(`${payload.toString()}${packet.retain ? ' (retained)' : ''}`));
  await center.subscribeAsync('kiosk/+/state', { qos: 1 });
  await waitFor(() => states.length === 1, 'the retained state');
  t.same(states, ['online (retained)']);

  // An ungraceful loss of the kiosk (socket destroyed, no DISCONNECT) publishes its will.
  kiosk.stream.destroy();
  await waitFor(() => states.length === 2, 'the last will');
  t.same(states, ['online (retained)', 'offline']);
  await waitFor(() => run.broker.clientCount() === 1, 'the kiosk to be gone');
  t.same(run.refusals, []);
});

void t.test('disconnectKiosk closes a connected kiosk; close() ends every client and frees the port', async (t) => {
  const pki = await makePki(t);
  const run = await start(t, pki);
  const kiosk = await client(t, run, pki, await pki.kiosk('kiosk-1'), 'kiosk-1');
  const center = await client(t, run, pki, pki.center, 'cardline-center');
  let kioskClosed = false;
  kiosk.on('close', () => (kioskClosed = true));
  t.equal(await run.broker.disconnectKiosk('kiosk-2'), false, 'not connected');
  t.equal(await run.broker.disconnectKiosk('kiosk-1'), true);
  await waitFor(() => kioskClosed, 'the kiosk connection to close');
  t.equal(run.broker.clientCount(), 1);

  let centerClosed = false;
  center.on('close', () => (centerClosed = true));
  const t0 = Date.now();
  await run.broker.close();
  await run.broker.close(); // idempotent
  t.ok(Date.now() - t0 < 2000, `closed in ${Date.now() - t0} ms`);
  await waitFor(() => centerClosed, 'the center connection to close');
  t.equal(run.broker.clientCount(), 0);
  const refused = await new Promise<string | undefined>((resolve) => {
    const s = netConnect(run.broker.port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(undefined);
    });
    s.once('error', (e: NodeJS.ErrnoException) => resolve(e.code));
  });
  t.equal(refused, 'ECONNREFUSED', 'nothing listens on the port any more');
});

/**
 * Issue 6, the site broker's queues: the center holds PUBACKs under
 * backpressure (center/bridge-intake.ts), so mosquitto queues a worker's
 * messages behind its inflight window, and beyond `max_queued_messages` it
 * DROPS QoS 1 messages ("Outgoing messages are being dropped for client …").
 * A worker that holds its first PUBACK while 1,100 up messages arrive (more
 * than mosquitto's default 1,000) gets every one once it lets go: the
 * generated bound holds a fleet's backlog (docs/mosquitto.md "Queues").
 */
import t from 'tap';
import type { IPublishPacket } from 'mqtt';
import { broker, connectAs, makeSite, waitFor } from './confinement-site.js';

const N = 1100;

void t.test('a stalled worker loses nothing of a backlog beyond mosquitto\'s default queue', async (t) => {
  const site = await makeSite(t);
  const m = await broker(t, site);
  const worker = await connectAs(t, { url: m.centerUrl }, site, 'center', 'cardline-center-slow-1');
  const got = new Set<string>();
  const held: (() => void)[] = [];
  let stalled = true;
  // As bridge-intake.ts does: the PUBACK waits for the handler's callback; mqtt.js reads no further packet meanwhile.
  worker.handleMessage = (packet: IPublishPacket, done: (e?: Error) => void): void => {
    got.add(packet.payload.toString());
    if (stalled) held.push(() => done());
    else done();
  };
  await worker.subscribeAsync('$share/center/kiosk/+/up', { qos: 1 });
  const kiosk = await connectAs(t, m, site, 'kiosk-1');
  for (let i = 0; i < N; i++) await kiosk.publishAsync('kiosk/kiosk-1/up', String(i), { qos: 1 });
  t.ok(got.size < N, `while the worker holds its PUBACK it has ${got.size} of ${N}: the broker holds the rest`);
  stalled = false;
  for (const release of held.splice(0)) release();
  await waitFor(() => got.size === N, `all ${N} messages at the worker`, 30_000);
  t.equal(got.size, N, 'every message reached the worker');
  t.notMatch(await m.log(), /messages are being dropped/, "mosquitto's log: nothing dropped");
});

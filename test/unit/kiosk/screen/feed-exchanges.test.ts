/**
 * What the operator sees of the link carries no payload: ScreenFeed keeps
 * only the allowed fields of an exchange (whatever else an observer hands
 * it stays behind), only protocol type names, and bounded rings; and the
 * link's `onExchange` is called for each up message sent and each down
 * message accepted or refused, never with a body.
 */
import { EventEmitter } from 'node:events';
import t from 'tap';
import { FakeClock } from '../../../../common/clock.js';
import { memoryLogger } from '../../../../common/log.js';
import { ScreenFeed } from '../../../../kiosk/screen/feed.js';
import { KioskLink, type LinkExchange } from '../../../../kiosk/link.js';
import type { MqttClientLike } from '../../../../kiosk/mqtt-client.js';
import { sealEnvelope, type Envelope } from '../../../../wire/envelope.js';
import { downTopic } from '../../../../wire/topics.js';
import { centerPublic, centerSecret, issuedBody, JOB, KIOSK, NOW } from '../fakes.js';

const CODE = 'Secret42Code';
const ALLOWED = ['at', 'direction', 'type', 'seq', 'job', 'outcome', 'reason'];

void t.test('ScreenFeed.exchange copies the allowed fields only: no body, no foreign type names', (t) => {
  const feed = new ScreenFeed({ clock: new FakeClock(5), readerId: 'r' });
  feed.exchange({ direction: 'up', type: 'request', seq: 3, outcome: 'ok', body: { application: 'APP', code: CODE }, payload: 'x' } as unknown as LinkExchange);
  feed.exchange({ direction: 'down', type: '<script>', seq: 4, job: 'not a job', outcome: 'refused', reason: 'bad signature!' });
  const [a, b] = feed.exchanges();
  t.same(a, { at: 5, direction: 'up', type: 'request', seq: 3, outcome: 'ok' });
  t.same(b, { at: 5, direction: 'down', seq: 4, outcome: 'refused' }, 'a chosen type, job or reason text is dropped');
  for (const x of feed.exchanges()) for (const k of Object.keys(x)) t.ok(ALLOWED.includes(k), k);
  t.notMatch(JSON.stringify(feed.exchanges()), CODE);
  t.same(feed.errors().map((e) => [e.code, e.what]), [['refused', 'exchange']], 'a refused exchange is an error');
  t.end();
});

void t.test('ScreenFeed keeps the last 100 exchanges and 20 errors; reader and link from events; errors from the right events', (t) => {
  const feed = new ScreenFeed({ clock: new FakeClock(0), readerId: 'r1' });
  for (let seq = 1; seq <= 150; seq++) feed.exchange({ direction: 'up', type: 'hello', seq, outcome: 'ok' });
  t.equal(feed.exchanges().length, 100);
  t.equal(feed.exchanges()[0]!.seq, 51);
  feed.events({ type: 'reader-refused', reader: 'other', reason: 'x' });
  t.same(feed.reader(), { id: 'r1', state: 'unknown' }, "another device's refusal is not the reader's");
  feed.events({ type: 'reader-refused', reader: 'r1', reason: 'identity-mismatch' });
  t.same(feed.reader(), { id: 'r1', state: 'refused', reason: 'identity-mismatch' });
  feed.events({ type: 'reader-authenticated', reader: 'r1' });
  t.same(feed.reader(), { id: 'r1', state: 'authenticated' });
  feed.events({ type: 'connected' });
  t.equal(feed.link(), 'up');
  feed.events({ type: 'disconnected' });
  t.equal(feed.link(), 'down');
  feed.events({ type: 'issued', job: JOB, ok: true });
  feed.events({ type: 'writing', job: JOB, index: 1, total: 2 });
  feed.events({ type: 'issued', job: JOB, ok: false });
  t.same(feed.errors().map((e) => e.code), ['x', 'identity-mismatch', 'link-down', 'card-stuck']);
  for (let i = 0; i < 30; i++) feed.events({ type: 'error', code: 'hopper-empty' });
  t.equal(feed.errors().length, 20);
  t.end();
});

class FakeMqtt extends EventEmitter implements MqttClientLike {
  connected = false;
  readonly published: { topic: string; payload: Buffer }[] = [];
  readonly stream = { setNoDelay: () => undefined };
  subscribeAsync(topic: string): Promise<{ topic: string; qos: number }[]> {
    return Promise.resolve([{ topic, qos: 1 }]);
  }
  publishAsync(topic: string, payload: Buffer): Promise<unknown> {
    this.published.push({ topic, payload });
    return Promise.resolve(undefined);
  }
  endAsync(): Promise<void> {
    return Promise.resolve();
  }
}

void t.test('KioskLink.onExchange: up sent, down accepted, down refused, up while down — types, seq, job, never a body', async (t) => {
  const client = new FakeMqtt();
  const seen: LinkExchange[] = [];
  let session = '';
  const link = new KioskLink({
    kioskId: KIOSK,
    brokerUrl: 'mqtts://broker',
    secureContext: { context: {} },
    signingKey: new Uint8Array(32).fill(0x11),
    centerPublicKey: centerPublic,
    connect: () => client,
    clock: new FakeClock(NOW),
    logger: memoryLogger(),
    random: (n) => new Uint8Array(n).fill(0xab),
    onExchange: (x) => seen.push(x),
  });
  const opened = new Promise<void>((resolve) =>
    link.start({
      onSession: () => {
        session = link.session!;
        resolve();
        return Promise.resolve();
      },
      onDown: () => undefined,
      onDisconnect: () => undefined,
    }),
  );
  client.connected = true;
  client.emit('connect');
  await opened;
  await link.send('request', { application: 'APP-1', code: CODE });
  const down = (seq: number, body: unknown, type = 'issued'): Buffer => {
    const env: Envelope = { v: 1, kiosk: KIOSK, from: 'center', session, seq, deadline: NOW + 30_000, type, body };
    return Buffer.from(sealEnvelope(env, centerSecret));
  };
  client.emit('message', downTopic(KIOSK), down(1, issuedBody(JOB)));
  client.emit('message', downTopic(KIOSK), down(1, issuedBody(JOB)));
  client.emit('message', downTopic(KIOSK), down(2, { job: JOB, secret: CODE }));
  client.connected = false;
  await t.rejects(link.send('card-done', { job: JOB, attempt: 1, ok: true } as never));
  t.same(seen, [
    { direction: 'up', type: 'request', seq: 1, outcome: 'ok' },
    { direction: 'down', type: 'issued', seq: 1, job: JOB, outcome: 'ok' },
    { direction: 'down', type: 'issued', seq: 1, outcome: 'refused', reason: 'replayed' },
    { direction: 'down', type: 'issued', seq: 2, outcome: 'refused', reason: 'malformed' },
    { direction: 'up', type: 'card-done', job: JOB, outcome: 'refused', reason: 'link-down' },
  ]);
  t.notMatch(JSON.stringify(seen), CODE);
});

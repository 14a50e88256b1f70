/**
 * VpcdCardClient against a raw TCP "reader" written here byte by byte, so
 * the wire is what vpcd would see: control frames, coalesced frames, the
 * ATR reply, APDU replies, reconnects, power cuts, and logs without APDU
 * contents.
 */
import t, { type Test } from 'tap';
import { createServer, type Server, type Socket } from 'node:net';
import { hex, toHex } from '../../../card/bytes.js';
import { memoryLogger } from '../../../common/log.js';
import { SimPowerCutError } from '../../../hardware/sim/card/errors.js';
import type { CardEndpoint } from '../../../hardware/sim/card-endpoint.js';
import { VpcdCardClient } from '../../../hardware/sim/vpcd/vpcd-card.js';
import { VpcdFrameParser } from '../../../hardware/sim/vpcd/vpcd-framing.js';

const ATR = hex('3B8180018080');

class ScriptedCard implements CardEndpoint {
  readonly atr = ATR;
  log: string[] = [];
  next: (apdu: Uint8Array) => Promise<Uint8Array> = (a) => Promise.resolve(Uint8Array.from([...a.slice(0, 2), 0x90, 0x00]));
  powerOn(): Promise<Uint8Array> {
    this.log.push('on');
    return Promise.resolve(ATR);
  }
  powerOff(): void {
    this.log.push('off');
  }
  transmit(apdu: Uint8Array): Promise<Uint8Array> {
    this.log.push(`apdu ${apdu.length}`);
    return this.next(apdu);
  }
}

/** A one-connection fake reader: collects reply frames. */
class FakeReader {
  socket: Socket | undefined;
  replies: string[] = [];
  connections = 0;
  private waiters: (() => void)[] = [];
  private constructor(
    readonly server: Server,
    readonly port: number,
  ) {}
  static async start(port = 0): Promise<FakeReader> {
    const server = createServer();
    await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
    const addr = server.address();
    const reader = new FakeReader(server, typeof addr === 'object' && addr ? addr.port : port);
    server.on('connection', (s) => {
      reader.socket = s;
      reader.connections++;
      const parser = new VpcdFrameParser();
      s.on('data', (b: Buffer) => {
        for (const f of parser.push(new Uint8Array(b))) reader.replies.push(toHex(f));
        reader.wake();
      });
      s.on('close', () => reader.wake());
      reader.wake();
    });
    return reader;
  }
  send(wire: string): void {
    this.socket!.write(hex(wire));
  }
  async until(cond: () => boolean, ms = 3000): Promise<void> {
    const deadline = Date.now() + ms;
    while (!cond()) {
      if (Date.now() > deadline) throw new Error('condition not met in time');
      await new Promise<void>((r) => {
        this.waiters.push(r);
        setTimeout(r, 20);
      });
    }
  }
  wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }
  async stop(): Promise<void> {
    this.socket?.destroy();
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}

type ClientOptions = Omit<ConstructorParameters<typeof VpcdCardClient>[0], 'host' | 'port' | 'card'>;

/** A fake reader and a started client for `card`, both stopped in the test's teardown. */
async function connectCard(t: Test, card: CardEndpoint, opts: ClientOptions = {}): Promise<{ reader: FakeReader; client: VpcdCardClient }> {
  const reader = await FakeReader.start();
  const client = new VpcdCardClient({ host: '127.0.0.1', port: reader.port, card, ...opts });
  t.teardown(async () => {
    await client.stop();
    await reader.stop();
  });
  client.start();
  return { reader, client };
}

void t.test('control bytes, ATR, APDUs, in order, from coalesced frames', async (t) => {
  const card = new ScriptedCard();
  const { reader, client } = await connectCard(t, card);
  await client.whenConnected();
  await reader.until(() => reader.socket !== undefined);
  // power on, get ATR, one APDU, reset, APDU, power off: all in one write.
  reader.send('0001 01  0001 04  0005 00A4040000  0001 02  0004 80CA9F7F  0001 00');
  await reader.until(() => reader.replies.length >= 3);
  t.same(reader.replies, [toHex(ATR), '00A49000', '80CA9000'], 'ATR, then each APDU answered');
  t.same(card.log, ['on', 'apdu 5', 'off', 'on', 'apdu 4', 'off'], 'card saw the frames in order');
  t.equal(client.apdusAnswered, 2);
});

void t.test('an APDU while unpowered gets 6F00 (no crash); unknown control bytes are ignored', async (t) => {
  const card = new ScriptedCard();
  const { reader } = await connectCard(t, card);
  await reader.until(() => reader.socket !== undefined);
  reader.send('0001 07  0004 00A40400  0001 04');
  await reader.until(() => reader.replies.length >= 2);
  t.same(reader.replies, ['6F00', toHex(ATR)], 'ATR answered even unpowered (vpcd polls presence with it)');
  t.same(card.log, [], 'the card was never asked');
});

void t.test('reconnects with backoff when the reader goes away and comes back', async (t) => {
  const first = await FakeReader.start();
  const port = first.port;
  const card = new ScriptedCard();
  const client = new VpcdCardClient({ host: '127.0.0.1', port, card, backoff: { initialMs: 10, maxMs: 50 } });
  const seen: string[] = [];
  client.on('connected', () => seen.push('connected'));
  client.on('disconnected', () => seen.push('disconnected'));
  client.start();
  await first.until(() => first.socket !== undefined);
  first.send('0001 01');
  await first.until(() => card.log.includes('on'));
  await first.stop();
  await first.until(() => !client.connected);
  t.equal(card.log.at(-1), 'off', 'the reader going away powers the card down');
  await new Promise((r) => setTimeout(r, 100)); // a few refused attempts
  const second = await FakeReader.start(port);
  t.teardown(async () => {
    await client.stop();
    await second.stop();
  });
  await client.whenConnected();
  await second.until(() => second.socket !== undefined);
  second.send('0001 04');
  await second.until(() => second.replies.length === 1);
  t.same(second.replies, [toHex(ATR)]);
  t.same(seen, ['connected', 'disconnected', 'connected']);
});

void t.test('a power cut drops the connection (the reader sees a removal); the card comes back unpowered', async (t) => {
  const reader = await FakeReader.start();
  const card = new ScriptedCard();
  const client = new VpcdCardClient({ host: '127.0.0.1', port: reader.port, card, backoff: { initialMs: 10 } });
  t.teardown(async () => {
    await client.stop();
    await reader.stop();
  });
  client.start();
  await reader.until(() => reader.connections === 1);
  card.next = () => Promise.reject(new SimPowerCutError(false, 1, 'before commit'));
  reader.send('0001 01  0004 80E20000');
  await reader.until(() => reader.connections === 2);
  t.same(reader.replies, [], 'no reply to the torn command');
  t.equal(client.apdusAnswered, 0);
});

void t.test('stop() closes cleanly, stops retrying, and logs carry no APDU bytes', async (t) => {
  const log = memoryLogger();
  const reader = await FakeReader.start();
  const card = new ScriptedCard();
  card.next = () => Promise.resolve(hex('CAFEBABE9000'));
  const client = new VpcdCardClient({ host: '127.0.0.1', port: reader.port, card, logger: log, backoff: { initialMs: 10 } });
  client.start();
  await reader.until(() => reader.socket !== undefined);
  reader.send('0001 01  0008 80E20000 03DEADBE');
  await reader.until(() => reader.replies.length === 1);
  await client.stop();
  await reader.until(() => reader.socket!.destroyed || reader.socket!.readableEnded);
  await new Promise((r) => setTimeout(r, 60));
  t.equal(reader.connections, 1, 'no reconnect after stop');
  t.equal(card.log.at(-1), 'off', 'card powered down');
  await client.stop();
  t.pass('stop is idempotent');
  const text = log.lines.join('');
  t.match(text, /connected to vpcd/);
  t.match(text, /"sw":"9000"/);
  t.notMatch(text, /DEADBE|CAFEBABE/i, 'no APDU contents');
  await reader.stop();
});

void t.test('stop() while the reader is not up ends the retry loop at once', async (t) => {
  const reader = await FakeReader.start();
  const port = reader.port;
  await reader.stop();
  const client = new VpcdCardClient({ host: '127.0.0.1', port, card: new ScriptedCard(), backoff: { initialMs: 10_000 } });
  client.start();
  await new Promise((r) => setTimeout(r, 50));
  const t0 = Date.now();
  await client.stop();
  t.ok(Date.now() - t0 < 2000, 'did not wait for the 10 s backoff');
});

void t.test('a card that throws while a frame is handled drops the connection; the client lives on', async (t) => {
  const reader = await FakeReader.start();
  const card = new ScriptedCard();
  let broken = true;
  Object.defineProperty(card, 'atr', {
    get: () => {
      if (broken) throw new Error('ATR unreadable');
      return ATR;
    },
  });
  const log = memoryLogger();
  const client = new VpcdCardClient({ host: '127.0.0.1', port: reader.port, card, logger: log, backoff: { initialMs: 10 } });
  t.teardown(async () => {
    await client.stop();
    await reader.stop();
  });
  client.start();
  await reader.until(() => reader.connections === 1);
  reader.send('0001 04');
  await reader.until(() => reader.connections === 2);
  t.same(reader.replies, [], 'no reply to the failed frame');
  t.match(log.lines.join(''), /frame handling failed/);
  broken = false;
  await client.whenConnected();
  reader.send('0001 04');
  await reader.until(() => reader.replies.length === 1);
  t.same(reader.replies, [toHex(ATR)], 'later frames are handled again');
});

void t.test('a flood of frames is answered in order, with backpressure instead of unbounded buffering', async (t) => {
  const card = new ScriptedCard();
  // A slow card: each answer takes a macrotask, so frames pile up behind it.
  card.next = (a) => new Promise((r) => setImmediate(() => r(Uint8Array.from([a[2]!, a[3]!, 0x90, 0x00]))));
  const { reader } = await connectCard(t, card);
  await reader.until(() => reader.socket !== undefined);
  const n = 100;
  let wire = '0001 01';
  for (let i = 0; i < n; i++) wire += ` 0005 80CA${i.toString(16).padStart(2, '0')}${i.toString(16).padStart(2, '0')}00`;
  reader.send(wire);
  await reader.until(() => reader.replies.length === n, 10_000);
  t.same(
    reader.replies,
    Array.from({ length: n }, (_, i) => `${i.toString(16).padStart(2, '0').toUpperCase().repeat(2)}9000`),
    'every APDU answered once, in order',
  );
});

/**
 * The event streams' backpressure: a client that stops reading cannot make
 * the kiosk hold every event for it. When the socket's buffer is full
 * (`write` returns false) and more than 256 KiB wait unsent, the stream is
 * dropped (its slot freed, the drop logged); a client that reads is not.
 */
import { EventEmitter } from 'node:events';
import { connect } from 'node:net';
import t from 'tap';
import { MAX_BUFFERED_BYTES, SseStream, type SseResponse } from '../../../../kiosk/screen/sse.js';
import { setup, SseClient, turn } from './helpers.js';

/** A response whose socket buffer the test fills by hand. */
class FakeResponse extends EventEmitter {
  writableLength = 0;
  full = false;
  destroyed = false;
  ended = false;
  readonly writes: string[] = [];
  write(text: string): boolean {
    this.writes.push(text);
    this.writableLength += this.full ? Buffer.byteLength(text) : 0;
    return !this.full;
  }
  end(): this {
    this.ended = true;
    return this;
  }
  destroy(): this {
    this.destroyed = true;
    this.emit('close');
    return this;
  }
}

void t.test('SseStream: dropped once write says the buffer is full and more than the bound waits; not before', (t) => {
  t.equal(MAX_BUFFERED_BYTES, 256 * 1024, 'the bound: 256 KiB');
  const res = new FakeResponse();
  const dropped: SseStream[] = [];
  const stream = new SseStream('customer', res as unknown as SseResponse, undefined, 1024, (s) => dropped.push(s));
  let closed = 0;
  stream.onClose(() => (closed += 1));
  // A large backlog the socket still accepts (write → true) is the kernel's business, not a slow client.
  res.writableLength = 10_000;
  stream.send('key', { key: '1' });
  t.notOk(stream.closed, 'write returned true: kept');
  // Full, but within the bound: the client may catch up.
  res.writableLength = 0;
  res.full = true;
  stream.send('kiosk', { type: 'x'.repeat(500) });
  t.notOk(stream.closed, 'full, some 530 bytes waiting: kept');
  stream.heartbeat();
  t.notOk(stream.closed, 'a heartbeat: still within the bound');
  stream.send('kiosk', { type: 'x'.repeat(500) });
  t.ok(stream.closed, 'full and past the bound: dropped');
  t.ok(res.destroyed, 'the connection is destroyed (ending it would queue behind the backlog)');
  t.equal(closed, 1, 'its close handlers ran (the pool frees the slot)');
  t.same(dropped, [stream], 'reported once');
  const n = res.writes.length;
  stream.send('key', { key: '2' });
  stream.heartbeat();
  t.equal(res.writes.length, n, 'nothing written after');
  t.equal(dropped.length, 1, 'and not reported again');
  t.end();
});

void t.test('a customer stream whose client stops reading is dropped at 256 KiB unsent; a reading client keeps its stream', async (t) => {
  const s = await setup(t);
  const reader = await SseClient.open(s, '/api/events');
  await reader.until(() => reader.of('state').length === 1, 'the reading client');
  // A client that reads the stream's head, then never reads again.
  const stalled = connect(s.server.port, '127.0.0.1');
  t.teardown(() => stalled.destroy());
  const head = new Promise<string>((resolve) =>
    stalled.once('data', (chunk: Buffer) => {
      stalled.pause();
      resolve(chunk.toString('utf8'));
    }),
  );
  stalled.write(`GET /api/events HTTP/1.1\r\nHost: ${s.host}\r\n\r\n`);
  t.match(await head, /^HTTP\/1\.1 200 /, 'the stalled client has its stream');
  const at = (): number => s.logs.filter((l) => l.includes('event stream dropped')).length;
  // 16 KiB events until the stalled one is dropped (the kernel's socket buffers take some MB first).
  const code = 'x'.repeat(16 * 1024);
  let sent = 0;
  while (at() === 0 && sent < 4000) {
    s.feed.events({ type: 'error', code });
    sent += 1;
    if (sent % 8 === 0) await turn();
  }
  t.equal(at(), 1, `dropped after ${sent} events (${Math.round((sent * code.length) / 1024 / 1024)} MiB)`);
  t.match(s.logs.join(''), /"msg":"event stream dropped: the client does not read","kind":"customer"/);
  t.notMatch(s.logs.join(''), code.slice(0, 64), 'no event data in the log');
  s.feed.events({ type: 'request-sent' });
  await reader.until(() => reader.of('kiosk').some((e) => (e as { type: string }).type === 'request-sent'), 'the reader still gets events');
  t.notOk(reader.ended, 'the reading client keeps its stream');
  reader.close();
});

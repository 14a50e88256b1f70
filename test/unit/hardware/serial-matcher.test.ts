/** The serial dispenser's request/response matcher on a fake clock: ACK, NAK retries, ACK timeouts, ENQ, stale SEQs, fail. */
import t from 'tap';
import { Duplex } from 'node:stream';
import { toHex } from '../../../card/bytes.js';
import { FakeClock } from '../../../common/clock.js';
import { silentLogger } from '../../../common/log.js';
import { ACK, encodeFrame, ENQ, NAK } from '../../../hardware/serial/frame.js';
import { Matcher } from '../../../hardware/serial/matcher.js';
import { DispenserError } from '../../../hardware/serial/errors.js';
import { FrameParser } from '../../../hardware/serial/parser.js';
import { FrameWriter } from '../../../hardware/serial/writer.js';

function rig(maxRetries = 2) {
  const writes: string[] = [];
  const port = new Duplex({
    read() {},
    write(chunk: Buffer, _enc, cb) {
      writes.push(toHex(chunk));
      cb();
    },
  });
  const clock = new FakeClock();
  const m = new Matcher(new FrameParser(), new FrameWriter(port), { clock, logger: silentLogger, ackTimeoutMs: 100, maxRetries, firstSeq: 0x10 });
  const flush = () => new Promise<void>((r) => setImmediate(r));
  return { m, writes, clock, flush };
}

const STATUS_CMD = (seq: number) => toHex(encodeFrame({ seq, cmd: 0x53, pm: 0x30, data: new Uint8Array(0) }));
const resp = (seq: number) => encodeFrame({ seq, cmd: 0x53, pm: 0, data: Uint8Array.of(1, 0, 3) });

void t.test('ACK then the response; a stale SEQ in between is dropped', async (t) => {
  const { m, writes, flush } = rig();
  const p = m.request(0x53, 0x30, new Uint8Array(0), 500);
  await flush();
  t.same(writes, [STATUS_CMD(0x11)], 'SEQ follows firstSeq');
  m.onData(Uint8Array.of(ACK, ...resp(0x10), ...resp(0x11)));
  t.same((await p).data, Uint8Array.of(1, 0, 3));
});

void t.test('NAK: the same frame again, then NAK_LIMIT after 1 + maxRetries tries', async (t) => {
  const { m, writes, flush } = rig(2);
  const p = m.request(0x53, 0x30, new Uint8Array(0), 500);
  for (let i = 0; i < 3; i++) {
    await flush();
    m.onData(Uint8Array.of(NAK));
  }
  await t.rejects(p, { name: 'DispenserError', code: 'NAK_LIMIT' });
  t.same(writes, [STATUS_CMD(0x11), STATUS_CMD(0x11), STATUS_CMD(0x11)]);
});

void t.test('no ACK: retransmitted after the ACK timeout; the response without its ACK is accepted', async (t) => {
  const { m, writes, clock, flush } = rig();
  const p = m.request(0x53, 0x30, new Uint8Array(0), 500);
  await flush();
  clock.advance(100);
  await flush();
  t.equal(writes.length, 2);
  m.onData(resp(0x11));
  t.same((await p).seq, 0x11);
});

void t.test('no ACK ever: TIMEOUT', async (t) => {
  const { m, clock, flush } = rig(1);
  const p = m.request(0x53, 0x30, new Uint8Array(0), 500);
  for (let i = 0; i < 2; i++) {
    await flush();
    clock.advance(100);
  }
  await t.rejects(p, { code: 'TIMEOUT' });
});

void t.test('after ACK: a corrupt response and a silent device each get an ENQ; then TIMEOUT', async (t) => {
  const { m, writes, clock, flush } = rig(2);
  const p = m.request(0x53, 0x30, new Uint8Array(0), 500);
  await flush();
  const bad = resp(0x11);
  bad[bad.length - 1] = bad[bad.length - 1]! ^ 0xff;
  m.onData(Uint8Array.of(ACK, ...bad));
  await flush();
  t.equal(writes[1], toHex(Uint8Array.of(ENQ)), 'ENQ on a bad BCC');
  clock.advance(500);
  await flush();
  t.equal(writes[2], toHex(Uint8Array.of(ENQ)), 'ENQ on silence');
  clock.advance(500);
  await t.rejects(p, { code: 'TIMEOUT' });
});

void t.test('fail(): the pending request and later ones reject with that error', async (t) => {
  const { m, flush } = rig();
  const p = m.request(0x53, 0x30, new Uint8Array(0), 500);
  await flush();
  m.fail(new DispenserError('CLOSED', 'closed'));
  await t.rejects(p, { code: 'CLOSED' });
  await t.rejects(m.request(0x53, 0x30, new Uint8Array(0), 500), { code: 'CLOSED' });
});

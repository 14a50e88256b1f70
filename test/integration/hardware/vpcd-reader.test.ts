/**
 * VpcdReaderTransport edges the contract suite does not reach, driven by a
 * raw TCP "card" written here byte by byte: the exact bytes the reader
 * sends, one card per reader, a bad frame, unsolicited frames.
 */
import t from 'tap';
import { connect, type Server, type Socket } from 'node:net';
import { hex, toHex } from '../../../card/bytes.js';
import { memoryLogger } from '../../../common/log.js';
import { isTransportError } from '../../../hardware/card-transport.js';
import { VpcdFrameParser } from '../../../hardware/sim/vpcd/vpcd-framing.js';
import { VpcdReaderTransport } from '../../../hardware/sim/vpcd/vpcd-reader.js';

class RawCard {
  frames: string[] = [];
  private parser = new VpcdFrameParser();
  private constructor(readonly socket: Socket) {
    socket.on('data', (b: Buffer) => this.frames.push(...this.parser.push(new Uint8Array(b)).map(toHex)));
  }
  static async connect(port: number): Promise<RawCard> {
    const s = connect({ host: '127.0.0.1', port });
    await new Promise<void>((r) => s.once('connect', () => r()));
    return new RawCard(s);
  }
  send(wire: string): void {
    this.socket.write(hex(wire));
  }
  async until(cond: () => boolean): Promise<void> {
    const deadline = Date.now() + 3000;
    while (!cond()) {
      if (Date.now() > deadline) throw new Error('condition not met in time');
      await new Promise((r) => setTimeout(r, 10));
    }
  }
}

function inserted(reader: VpcdReaderTransport): Promise<void> {
  return new Promise((r) => {
    const off = reader.on('inserted', () => {
      off();
      r();
    });
  });
}

void t.test('wire bytes: powerOn sends 01 then 04; transmit frames the APDU; powerOff sends 00', async (t) => {
  const reader = await VpcdReaderTransport.listen();
  t.teardown(() => reader.close());
  t.match(reader.readerName, /^vpcd:\d+$/);
  const ins = inserted(reader);
  const card = await RawCard.connect(reader.port);
  await ins;
  const atr = reader.powerOn();
  await card.until(() => card.frames.length === 2);
  t.same(card.frames, ['01', '04']);
  card.send('0004 3B800080');
  t.equal(toHex(await atr), '3B800080');
  const r = reader.transmit(hex('00A4040000'));
  await card.until(() => card.frames.length === 3);
  t.equal(card.frames[2], '00A4040000');
  card.send('0002 9000  0002 6F00'); // the answer, then an unsolicited frame
  t.equal(toHex(await r), '9000');
  await reader.powerOff();
  await card.until(() => card.frames.length === 4);
  t.equal(card.frames[3], '00');
});

void t.test('a second card is refused while one is in', async (t) => {
  const log = memoryLogger();
  const reader = await VpcdReaderTransport.listen({ logger: log });
  t.teardown(() => reader.close());
  const ins = inserted(reader);
  const first = await RawCard.connect(reader.port);
  await ins;
  const second = await RawCard.connect(reader.port);
  await new Promise<void>((r) => second.socket.once('close', () => r()));
  t.equal(reader.cardPresent, true, 'the first card is still in');
  t.match(log.lines.join(''), /refusing a second vpcd card/);
  first.socket.destroy();
});

void t.test('a bad frame from the card drops it: pending call CARD_REMOVED', async (t) => {
  const reader = await VpcdReaderTransport.listen();
  t.teardown(() => reader.close());
  const ins = inserted(reader);
  const card = await RawCard.connect(reader.port);
  await ins;
  const p = reader.powerOn();
  await card.until(() => card.frames.length === 2);
  card.send('0000'); // zero-length frame: not vpcd
  try {
    await p;
    t.fail('resolved');
  } catch (e) {
    t.ok(isTransportError(e, 'CARD_REMOVED'));
  }
  t.equal(reader.cardPresent, false);
});

void t.test('listen on a taken port fails with the socket error', async (t) => {
  const a = await VpcdReaderTransport.listen();
  t.teardown(() => a.close());
  await t.rejects(VpcdReaderTransport.listen({ port: a.port }), { code: 'EADDRINUSE' });
});

void t.test('a server error after listen is logged, not thrown out of the process', async (t) => {
  const log = memoryLogger();
  const reader = await VpcdReaderTransport.listen({ port: 0, logger: log });
  t.teardown(() => reader.close());
  const server = (reader as unknown as { server: Server }).server;
  t.doesNotThrow(() => server.emit('error', Object.assign(new Error('accept failed'), { code: 'EMFILE' })));
  t.match(log.lines.join(''), /vpcd reader server error.*EMFILE/);
});

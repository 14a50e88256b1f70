/**
 * PcscTransport with a fake binding reader (the boundary declared in
 * hardware/pcsc/binding.ts): presence from status events, 61xx / 6Cxx
 * handling, the T=0 case 4 mapping, the extended-length rule, error
 * mapping. The fake answers with our simulated card, optionally behind
 * T0Card, and records every APDU the transport sent.
 */
import { EventEmitter } from 'node:events';
import t from 'tap';
import { hex, toHex } from '../../../card/bytes.js';
import { FakeClock } from '../../../common/clock.js';
import { isTransportError } from '../../../hardware/card-transport.js';
import { SCARD, type PcscCardReaderLike } from '../../../hardware/pcsc/binding.js';
import { PcscTransport } from '../../../hardware/pcsc/pcsc-transport.js';
import type { CardEndpoint } from '../../../hardware/sim/card-endpoint.js';
import { SimCard } from '../../../hardware/sim/card/index.js';
import { T0Card } from '../../../hardware/sim/vpcd/t0-card.js';

class FakeReader extends EventEmitter implements PcscCardReaderLike {
  readonly name = 'Fake Reader (F00) 00 00';
  connected = false;
  sent: string[] = [];
  /** Scripted answers, used before the card (hex). */
  script: (string | Error)[] = [];
  constructor(
    public card: CardEndpoint,
    private readonly protocol: number,
  ) {
    super();
  }
  insert(): void {
    this.emit('status', { state: SCARD.STATE_CHANGED | SCARD.STATE_PRESENT, atr: Buffer.from(this.card.atr) });
  }
  connect(_o: unknown, cb: (err: Error | null, protocol: number) => void): void {
    void this.card.powerOn().then(() => {
      this.connected = true;
      cb(null, this.protocol);
    });
  }
  disconnect(_d: number, cb: (err: Error | null) => void): void {
    this.connected = false;
    this.card.powerOff();
    setImmediate(() => cb(null));
  }
  transmit(data: Buffer, _len: number, _p: number, cb: (err: Error | null, r: Buffer) => void): void {
    this.sent.push(toHex(data));
    const next = this.script.shift();
    if (next instanceof Error) return void setImmediate(() => cb(next, Buffer.alloc(0)));
    if (next !== undefined) return void setImmediate(() => cb(null, Buffer.from(hex(next))));
    void this.card.transmit(new Uint8Array(data)).then((r) => cb(null, Buffer.from(r)));
  }
  close(): void {}
}

async function rig(t0: boolean): Promise<{ reader: FakeReader; transport: PcscTransport; clock: FakeClock }> {
  const sim = await SimCard.open({});
  const reader = new FakeReader(t0 ? new T0Card(sim) : sim, t0 ? SCARD.PROTOCOL_T0 : SCARD.PROTOCOL_T1);
  const clock = new FakeClock();
  const transport = new PcscTransport({ reader, clock });
  reader.insert();
  await transport.powerOn();
  return { reader, transport, clock };
}

const SELECT_ISD = '00A4040008A000000151000000';

/** Awaits `p`, expecting a rejection that `ok` accepts. */
async function rejects(t: Tap, p: Promise<unknown>, ok: (e: unknown) => boolean, what = 'rejects as expected'): Promise<void> {
  try {
    await p;
    t.fail(`${what}: resolved`);
  } catch (e) {
    t.ok(ok(e), what, { got: (e as Error).message });
  }
}

type Tap = Parameters<Parameters<typeof t.test>[0]>[0];

void t.test('T=0: 61xx is followed by GET RESPONSE; case 4 goes out without Le', async (t) => {
  const { reader, transport } = await rig(true);
  t.equal(transport.protocol, 'T=0');
  const r = await transport.transmit(hex(`${SELECT_ISD}00`));
  t.equal(toHex(r.slice(-2)), '9000');
  t.equal(r[0], 0x6f, 'the whole FCI');
  t.equal(reader.sent[0], SELECT_ISD, 'Le dropped (ISO 7816-3 §12.2.5)');
  t.match(reader.sent[1], /^00C00000[0-9A-F]{2}$/, 'then GET RESPONSE with Le = SW2');
  t.equal(reader.sent.length, 2);
});

void t.test('T=0: 6Cxx re-issues the command with the exact Le', async (t) => {
  const { reader, transport } = await rig(true);
  const r = await transport.transmit(hex('80CA9F7F00'));
  t.equal(toHex(r.slice(-2)), '9000');
  t.equal(r.length, 0x2d + 2, 'CPLC, 45 bytes');
  t.same(reader.sent, ['80CA9F7F00', '80CA9F7F2D']);
});

void t.test('61xx chains are concatenated; the last SW closes the response', async (t) => {
  const { reader, transport } = await rig(false);
  reader.script = ['01026103', '0304056102', '06076282'];
  const r = await transport.transmit(hex('84CA00FE00'));
  t.equal(toHex(r), '010203040506076282');
  t.same(reader.sent, ['84CA00FE00', '00C0000003', '00C0000002'], 'GET RESPONSE on the basic channel for CLA 84');
});

void t.test('GET RESPONSE keeps the logical channel; 6Cxx on GET RESPONSE asks again', async (t) => {
  const { reader, transport } = await rig(false);
  reader.script = ['6110', '6C04', 'AABBCCDD9000'];
  const r = await transport.transmit(hex('01CA00FE00'));
  t.equal(toHex(r), 'AABBCCDD9000');
  t.same(reader.sent.slice(1), ['01C0000010', '01C0000004']);
});

void t.test('an endless 61xx chain is cut', async (t) => {
  const sim = await SimCard.open({});
  const reader = new FakeReader(sim, SCARD.PROTOCOL_T1);
  const transport = new PcscTransport({ reader, clock: new FakeClock(), maxGetResponse: 3 });
  reader.insert();
  await transport.powerOn();
  reader.script = ['6101', '006101', '006101', '006101', '006101'];
  await rejects(t, transport.transmit(hex('00CA00FE00')), (e: unknown) => isTransportError(e, 'IO'));
});

void t.test('extended APDUs: UNSUPPORTED before anything is sent', async (t) => {
  const { reader, transport } = await rig(false);
  t.equal(transport.extendedLength, false);
  await rejects(t, transport.transmit(hex('80CA9F7F000000')), (e: unknown) => isTransportError(e, 'UNSUPPORTED'));
  t.same(reader.sent, [], 'nothing sent');
  t.equal(toHex((await transport.transmit(hex(SELECT_ISD))).slice(-2)), '9000', 'still usable');
});

void t.test('responses without a status word and binding errors', async (t) => {
  const { reader, transport, clock } = await rig(false);
  reader.script = [new Error('SCardTransmit error: Card was removed.(0x80100069)')];
  await rejects(t, transport.transmit(hex(SELECT_ISD)), (e: unknown) => isTransportError(e, 'CARD_REMOVED'));
  reader.script = [new Error('SCardTransmit error: Sharing violation.(0x8010000b)')];
  await rejects(t, transport.transmit(hex(SELECT_ISD)), (e: unknown) => isTransportError(e, 'IO') && !/Sharing/.test((e as Error).message));
  reader.script = ['90'];
  const short = transport.transmit(hex(SELECT_ISD));
  await new Promise((r) => setImmediate(r));
  clock.advance(2000); // the grace for a removal report runs out: the card is still there
  await rejects(t, short, (e: unknown) => isTransportError(e, 'IO'));
  reader.script = [''];
  const empty = transport.transmit(hex(SELECT_ISD));
  await new Promise((r) => setImmediate(r));
  reader.emit('status', { state: SCARD.STATE_CHANGED | SCARD.STATE_EMPTY });
  await rejects(t, empty, (e: unknown) => isTransportError(e, 'CARD_REMOVED'), 'an empty answer, then pcscd reports the removal');
});

void t.test('presence follows status events; reader end removes the card', async (t) => {
  const { reader, transport } = await rig(false);
  const seen: string[] = [];
  transport.on('removed', () => seen.push('removed'));
  transport.on('inserted', () => seen.push('inserted'));
  reader.emit('status', { state: SCARD.STATE_EMPTY });
  t.equal(transport.cardPresent, false);
  reader.insert();
  t.equal(transport.cardPresent, true);
  await rejects(t, transport.transmit(hex(SELECT_ISD)), (e: unknown) => isTransportError(e, 'NOT_POWERED'));
  reader.emit('end');
  t.equal(transport.cardPresent, false);
  t.same(seen, ['removed', 'inserted', 'removed']);
  await transport.close();
  t.equal(reader.listenerCount('status'), 0, 'close unsubscribes');
});

/** Advances `clock` by `ms` in 20 ms steps, letting promises run between steps. */
async function drive(clock: FakeClock, ms: number): Promise<void> {
  for (let i = 0; i < 50 && clock.pending === 0; i++) await new Promise((r) => setImmediate(r));
  for (let done = 0; done <= ms; done += 20) {
    clock.advance(20);
    await new Promise((r) => setImmediate(r));
  }
}

void t.test('an implausible ATR fails powerOn', async (t) => {
  const sim = await SimCard.open({});
  const reader = new FakeReader(sim, SCARD.PROTOCOL_T1);
  const clock = new FakeClock();
  const transport = new PcscTransport({ reader, clock });
  reader.emit('status', { state: SCARD.STATE_PRESENT, atr: Buffer.from('3B', 'hex') });
  const refused = rejects(t, transport.powerOn(), (e: unknown) => isTransportError(e, 'IO'));
  await drive(clock, 2100);
  await refused;
});

void t.test('a card reported present before pcscd powered it: powerOn waits for the ATR of a later status report, or fails IO', async (t) => {
  const sim = await SimCard.open({});
  const reader = new FakeReader(sim, SCARD.PROTOCOL_T1);
  const clock = new FakeClock();
  const transport = new PcscTransport({ reader, clock });
  reader.emit('status', { state: SCARD.STATE_CHANGED | SCARD.STATE_PRESENT, atr: Buffer.alloc(0) });
  t.equal(transport.cardPresent, true, 'present, no ATR yet');
  const on = transport.powerOn();
  // SCardConnect powers the card; pcscd then publishes the ATR.
  for (let i = 0; i < 50 && clock.pending === 0; i++) await new Promise((r) => setImmediate(r));
  clock.advance(20);
  reader.emit('status', { state: SCARD.STATE_CHANGED | SCARD.STATE_PRESENT, atr: Buffer.from(sim.atr) });
  clock.advance(20);
  t.equal(toHex(await on), toHex(sim.atr), 'powerOn resolves with the ATR of the later report');

  const mute = new FakeReader(await SimCard.open({}), SCARD.PROTOCOL_T1);
  const clock2 = new FakeClock();
  const silent = new PcscTransport({ reader: mute, clock: clock2 });
  mute.emit('status', { state: SCARD.STATE_CHANGED | SCARD.STATE_PRESENT, atr: Buffer.alloc(0) });
  const refused = rejects(t, silent.powerOn(), (e) => isTransportError(e, 'IO') && /implausible ATR of 0 bytes/.test((e as Error).message), 'no ATR within 2 s: IO');
  await drive(clock2, 2100);
  await refused;
  await transport.close();
  await silent.close();
});

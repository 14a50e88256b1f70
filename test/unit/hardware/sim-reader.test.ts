/**
 * SimReader behaviour beyond the shared contract (test/contract/): the
 * power-cut mapping, the slot itself, and what it logs. Uses a scripted
 * CardEndpoint so each edge is forced exactly.
 */
import t from 'tap';
import { hex } from '../../../card/bytes.js';
import { FakeClock } from '../../../common/clock.js';
import { memoryLogger } from '../../../common/log.js';
import { isTransportError } from '../../../hardware/card-transport.js';
import { SimPowerCutError } from '../../../hardware/sim/card/errors.js';
import type { CardEndpoint } from '../../../hardware/sim/card-endpoint.js';
import { swOf } from '../../../hardware/sim/card-endpoint.js';
import { SimReader, SimReaderError } from '../../../hardware/sim/sim-reader.js';

const ATR = hex('3B8180018080');

class ScriptedCard implements CardEndpoint {
  readonly atr = ATR;
  powered = false;
  powerOffs = 0;
  next: (apdu: Uint8Array) => Promise<Uint8Array> = () => Promise.resolve(hex('9000'));
  powerOn(): Promise<Uint8Array> {
    this.powered = true;
    return Promise.resolve(ATR);
  }
  powerOff(): void {
    this.powered = false;
    this.powerOffs++;
  }
  transmit(apdu: Uint8Array): Promise<Uint8Array> {
    return this.next(apdu);
  }
}

async function code(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'resolved';
  } catch (e) {
    return isTransportError(e) ? e.code : `other: ${(e as Error).name}`;
  }
}

void t.test('a power cut rejects CARD_REMOVED; the card stays in the slot, unpowered, and powers on again', async (t) => {
  const reader = new SimReader();
  const card = new ScriptedCard();
  const events: string[] = [];
  reader.on('removed', () => events.push('removed'));
  reader.insert(card);
  await reader.powerOn();
  card.next = () => Promise.reject(new SimPowerCutError(true, 3, 'after commit'));
  t.equal(await code(reader.transmit(hex('80E2800000'))), 'CARD_REMOVED');
  t.equal(reader.cardPresent, true, 'still in the slot');
  t.same(events, [], 'no removed event');
  card.next = () => Promise.resolve(hex('9000'));
  t.equal(await code(reader.transmit(hex('00A4040000'))), 'NOT_POWERED', 'power-cycle required');
  t.same(await reader.powerOn(), ATR);
  t.equal(swOf(await reader.transmit(hex('00A4040000'))), '9000');
});

void t.test('any other card failure is IO, and its message stays out of the error', async (t) => {
  const log = memoryLogger();
  const reader = new SimReader({ logger: log });
  const card = new ScriptedCard();
  reader.insert(card);
  await reader.powerOn();
  card.next = () => Promise.reject(new Error('secret 404142434445'));
  try {
    await reader.transmit(hex('00A4040000'));
    t.fail('resolved');
  } catch (e) {
    t.ok(isTransportError(e, 'IO'));
    t.notMatch((e as Error).message, /404142/);
  }
  t.match(log.lines.join(''), /card failed/, 'the failure is logged');
  t.notMatch(log.lines.join(''), /404142/, 'by name and code, not by its message');
});

void t.test('the slot holds one card; remove returns it; remove of an empty slot is undefined', async (t) => {
  const reader = new SimReader({ name: 'sim:7' });
  t.equal(reader.readerName, 'sim:7');
  const a = new ScriptedCard();
  reader.insert(a);
  t.throws(() => reader.insert(new ScriptedCard()), SimReaderError);
  t.throws(() => reader.insert(new ScriptedCard()), { code: 'SLOT_OCCUPIED' });
  await reader.powerOn();
  t.equal(reader.remove(), a);
  t.equal(a.powered, false, 'removal cuts the card power');
  t.equal(reader.remove(), undefined);
  await reader.close();
  t.throws(() => reader.insert(a), { name: 'TransportError', code: 'CLOSED' });
});

void t.test('default timeout applies when the call gives none; the card is powered down', async (t) => {
  const clock = new FakeClock();
  const reader = new SimReader({ clock, defaultTimeoutMs: 500 });
  const card = new ScriptedCard();
  reader.insert(card);
  await reader.powerOn();
  card.next = () => new Promise(() => undefined); // a hung card
  const p = reader.transmit(hex('00A4040000'));
  clock.advance(499);
  clock.advance(1);
  t.equal(await code(p), 'TIMEOUT');
  t.equal(card.powered, false, 'powered down after the timeout');
});

void t.test('a listener that throws does not break the reader', (t) => {
  const log = memoryLogger();
  const reader = new SimReader({ logger: log });
  let second = 0;
  reader.on('inserted', () => {
    throw new Error('listener bug');
  });
  reader.on('inserted', () => second++);
  reader.insert(new ScriptedCard());
  t.equal(second, 1);
  t.match(log.lines.join(''), /listener failed/);
  t.end();
});

void t.test('logs carry SWs and counts, never APDU bytes', async (t) => {
  const log = memoryLogger();
  const reader = new SimReader({ logger: log });
  const card = new ScriptedCard();
  card.next = () => Promise.resolve(hex('CAFEBABE9000'));
  reader.insert(card);
  await reader.powerOn();
  await reader.transmit(hex('80E2000004DEADBEEF'));
  const text = log.lines.join('');
  t.match(text, /"sw":"9000"/);
  t.notMatch(text, /DEADBEEF|CAFEBABE/i);
});

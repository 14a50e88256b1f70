/**
 * The PC/SC driver against a private pcscd + vpcd (test/fixtures/pcscd.ts)
 * with our simulated card as a separate process (`cardline sim card --vpcd`,
 * T=1 and --protocol t0): insert/remove by starting/stopping the card
 * process, GET RESPONSE and 6Cxx through real pcscd, the plain-reader
 * station, the reader listing, and reader detach (pcscd stops).
 */
import t from 'tap';
import { hex, toHex } from '../../../card/bytes.js';
import { isPcscError } from '../../../hardware/pcsc/errors.js';
import { listPcscReaders } from '../../../hardware/pcsc/list-readers.js';
import { PcscReaders } from '../../../hardware/pcsc/pcsc-readers.js';
import { PcscStation } from '../../../hardware/pcsc/pcsc-station.js';
import type { PcscTransport } from '../../../hardware/pcsc/pcsc-transport.js';
import { isStationError } from '../../../hardware/station.js';
import { startPcscd, startSimCardProcess, stopProcess, useSocket } from '../../fixtures/pcscd.js';

const READER = 'Virtual PCD 00 00';
const SELECT_ISD = hex('00A4040008A00000015100000000');

const rig = await startPcscd();
useSocket(rig);
const port = rig.readers[0]!.port;
t.teardown(() => rig.stop());

function once(tr: PcscTransport, event: 'inserted' | 'removed'): Promise<void> {
  return new Promise((resolve) => {
    const off = tr.on(event, () => {
      off();
      resolve();
    });
  });
}

void t.test('listing: both vpcd slots, descriptor, card presence', async (t) => {
  const card = await startSimCardProcess(port);
  t.teardown(() => stopProcess(card.proc));
  // pcscd polls vpcd for the card: give it time to notice before listing.
  const watcher = await PcscReaders.open();
  const deadline = Date.now() + 5000;
  while (!watcher.info(READER)?.cardPresent && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  await watcher.close();
  const list = await listPcscReaders({ timeoutMs: 3000 });
  t.same(list.map((r) => r.name), [READER, 'Virtual PCD 00 01']);
  const r = list[0]!;
  t.same(r.descriptor, { vendor: 'Virtual', product: 'Virtual PCD', serial: null });
  t.equal(r.id, 'pcsc-Virtual-PCD-00-00');
  t.equal(r.cardPresent, true);
  t.equal(list[1]!.cardPresent, false);
});

for (const protocol of ['t1', 't0'] as const) {
  void t.test(`${protocol}: insert, APDUs with procedure bytes, remove, reinsert`, async (t) => {
    const readers = await PcscReaders.open();
    const tr = readers.openTransport(READER);
    t.teardown(async () => {
      await tr.close();
      await readers.close();
    });
    const inserted = once(tr, 'inserted');
    let card = await startSimCardProcess(port, { protocol });
    t.teardown(() => stopProcess(card.proc));
    await inserted;
    const atr = await tr.powerOn();
    t.equal(toHex(atr), card.atr, 'the ATR the card sent');
    t.equal(tr.protocol, protocol === 't0' ? 'T=0' : 'T=1', 'negotiated protocol');
    const fci = await tr.transmit(SELECT_ISD);
    t.equal(toHex(fci.slice(-2)), '9000');
    t.equal(fci[0], 0x6f, 'the whole FCI (through GET RESPONSE under T=0)');
    const cplc = await tr.transmit(hex('80CA9F7F00'));
    t.equal(cplc.length, 0x2d + 2, 'CPLC, 45 bytes (6C2D re-issue under T=0)');
    t.equal(toHex(cplc.slice(-2)), '9000');
    const ext = tr.transmit(hex('80CA9F7F000000'));
    await t.rejects(ext, { code: 'UNSUPPORTED' }, 'extended APDU refused: the card has no extended Lc/Le');
    const removed = once(tr, 'removed');
    await stopProcess(card.proc);
    await removed;
    t.equal(tr.cardPresent, false);
    await t.rejects(tr.transmit(SELECT_ISD), { code: 'NO_CARD' });
    const again = once(tr, 'inserted');
    card = await startSimCardProcess(port, { protocol });
    await again;
    await t.rejects(tr.transmit(SELECT_ISD), { code: 'NOT_POWERED' }, 'a new card starts unpowered');
    await tr.powerOn();
    t.equal(toHex((await tr.transmit(SELECT_ISD)).slice(-2)), '9000');
  });
}

void t.test('station: feed waits for the customer, eject, capture unsupported, TIMEOUT', async (t) => {
  const station = await PcscStation.open({ readerName: READER, feedTimeoutMs: 20_000, ejectWaitMs: 10_000 });
  t.teardown(() => station.close());
  t.equal(station.identity.kind, 'pcsc');
  t.equal(station.identity.canSign, false);
  t.equal(await station.identity.sign(new Uint8Array(8)), undefined);
  t.same(await station.status(), { hopperRemaining: undefined, hopper: 'ok', cardAtStation: false });
  const fed = station.feed();
  const card = await startSimCardProcess(port);
  t.teardown(() => stopProcess(card.proc));
  t.match((await fed).label, /^pcsc-Virtual-PCD-00-00#1$/);
  t.equal(await station.cardAtStation(), true);
  t.match(await station.feed(), { label: /#2$/ }, 'a card already in counts as fed');
  await station.transport.powerOn();
  t.equal(toHex((await station.transport.transmit(SELECT_ISD)).slice(-2)), '9000');
  await t.rejects(station.capture(), { code: 'UNSUPPORTED' });
  const ejected = station.eject();
  await new Promise((r) => setTimeout(r, 200));
  await stopProcess(card.proc); // the customer takes the card
  await ejected;
  t.equal(await station.cardAtStation(), false);
  const quick = await PcscStation.open({ readerName: READER, feedTimeoutMs: 300 });
  try {
    await quick.feed();
    t.fail('feed resolved without a card');
  } catch (e) {
    t.ok(isStationError(e, 'TIMEOUT'), 'no card: TIMEOUT');
  } finally {
    await quick.close();
  }
});

void t.test('detach: pcscd stops, readers end, the card is gone; then no PC/SC service', async (t) => {
  const readers = await PcscReaders.open();
  const tr = readers.openTransport(READER);
  const card = await startSimCardProcess(port);
  t.teardown(async () => {
    await stopProcess(card.proc);
    await tr.close();
    await readers.close();
  });
  if (!tr.cardPresent) await once(tr, 'inserted');
  await tr.powerOn();
  const detached: string[] = [];
  readers.on('detached', (n) => detached.push(n));
  const removed = once(tr, 'removed');
  await rig.stop();
  await removed;
  t.same(detached.sort(), [READER, 'Virtual PCD 00 01']);
  await t.rejects(tr.transmit(SELECT_ISD), { code: 'NO_CARD' });
  try {
    await listPcscReaders({ timeoutMs: 1000 });
    t.fail('listed without pcscd');
  } catch (e) {
    t.ok(isPcscError(e, 'NO_SERVICE'), 'no PC/SC service', { got: (e as Error).message });
    t.match((e as Error).message, /no PC\/SC service/);
  }
});

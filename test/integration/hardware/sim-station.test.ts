/**
 * The simulated dispenser (hardware/sim/sim-station.ts) against the
 * CardStation contract (hardware/station.ts): moves between hopper, IC
 * station, gate and reject bin and their refusals, the card at the station
 * after a reopen, the test hooks (power cut, onCardLoaded, addCards), the
 * read-back of an ejected card, and refusals of edited directories.
 * Writes card images in a temp directory.
 */
import t, { type Test } from 'tap';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { FakeClock } from '../../../common/clock.js';
import { memoryLogger } from '../../../common/log.js';
import { REFERENCE_LATENCY, SimCard } from '../../../hardware/sim/card/index.js';
import { readCardImage } from '../../../hardware/sim/read-card.js';
import { HOPPER_LOW, SimStation } from '../../../hardware/sim/sim-station.js';
import { initializeUpdateCommand } from '../../../card/scp03/initialize-update.js';
import { encodeCommand } from '../../../card/apdu.js';
import { initUpdate, KMC, madeWith, OTHER_KMC, selectSw } from './station-helpers.js';

async function make(t: Test, count = 3, extra: Partial<Parameters<typeof SimStation.create>[0]> = {}): Promise<SimStation> {
  const station = await SimStation.create({ dir: join(t.testdirName, 'station'), count, stockMasterKey: KMC, ...extra });
  t.teardown(() => station.close());
  return station;
}

const tx = (s: SimStation) => (apdu: Uint8Array) => s.transport.transmit(apdu);

void t.test('create: the layout on disk, serials in the hopper, an empty station', async (t) => {
  t.testdir();
  const s = await make(t, 3, { serialPrefix: 'c0ffee' });
  const dir = join(t.testdirName, 'station');
  t.same(readdirSync(dir).sort(), ['gate', 'hopper', 'ic', 'reader.key', 'reader.pub', 'reject', 'station.json']);
  const file = JSON.parse(readFileSync(join(dir, 'station.json'), 'utf8')) as Record<string, unknown>;
  t.match(file, { format: 'cardline-sim-station', version: 1, id: s.identity.id });
  t.ok(!Number.isNaN(Date.parse(String(file.created))), 'created is a time');
  t.equal(statSync(join(dir, 'reader.key')).mode & 0o777, 0o600, 'reader.key is 0600');
  t.same(await s.cards('hopper'), ['C0FFEE00000001', 'C0FFEE00000002', 'C0FFEE00000003']);
  t.same(readdirSync(join(dir, 'hopper')), ['C0FFEE00000001.eeprom', 'C0FFEE00000002.eeprom', 'C0FFEE00000003.eeprom'], 'no hopper manifest');
  t.same(await s.status(), { hopperRemaining: 3, hopper: 'low', cardAtStation: false });
  t.equal(await s.cardAtStation(), false);
  t.equal(s.transport.cardPresent, false);
  t.match(s.name, s.identity.id);
  t.notMatch(readFileSync(join(dir, 'station.json'), 'utf8'), /404142/i, 'the master key is stored nowhere');
});

void t.test('feed → IC station → gate; feed → reject; the transport follows the card', async (t) => {
  t.testdir();
  const s = await make(t, 3);
  const inserted: string[] = [];
  s.transport.on('inserted', () => inserted.push('in'));
  s.transport.on('removed', () => inserted.push('out'));

  t.same(await s.feed(), { label: 'CA4D000000000001' }, 'the lowest serial first');
  t.same(await s.cards('ic'), ['CA4D000000000001']);
  t.same(await s.cards('hopper'), ['CA4D000000000002', 'CA4D000000000003']);
  t.equal(await s.cardAtStation(), true);
  t.equal(s.transport.cardPresent, true);
  await s.transport.powerOn();
  t.ok(madeWith(KMC, await initUpdate(tx(s))), 'the card at the contacts was made with the station KMC');
  await s.eject();
  t.same(await s.cards('gate'), ['CA4D000000000001']);
  t.same(await s.cards('ic'), []);
  t.equal(await s.cardAtStation(), false);
  await t.rejects(s.transport.powerOn(), { code: 'NO_CARD' }, 'the contacts are empty after eject');

  t.same(await s.feed(), { label: 'CA4D000000000002' });
  await s.capture();
  t.same(await s.cards('reject'), ['CA4D000000000002']);
  t.same(inserted, ['in', 'out', 'in', 'out']);
  t.same(await s.status(), { hopperRemaining: 1, hopper: 'low', cardAtStation: false });
});

void t.test('refusals: OCCUPIED, HOPPER_EMPTY, NO_CARD, and nothing moves', async (t) => {
  t.testdir();
  const s = await make(t, 2);
  await t.rejects(s.eject(), { code: 'NO_CARD' });
  await t.rejects(s.capture(), { code: 'NO_CARD' });
  t.throws(() => s.armPowerCut({ afterApdus: 1 }), { code: 'NO_CARD' });

  const both = await Promise.allSettled([s.feed(), s.feed()]);
  t.equal(both.filter((r) => r.status === 'fulfilled').length, 1, 'two concurrent feeds: one card fed');
  t.match(both.find((r) => r.status === 'rejected'), { reason: { code: 'OCCUPIED' } });
  await t.rejects(s.feed(), { code: 'OCCUPIED' });
  t.same(await s.cards('hopper'), ['CA4D000000000002'], 'nothing moved');
  await s.eject();
  await s.feed();
  await s.capture();
  await t.rejects(s.feed(), { code: 'HOPPER_EMPTY' });
  t.same(await s.status(), { hopperRemaining: 0, hopper: 'empty', cardAtStation: false });
});

void t.test(`status: 'ok' down to ${HOPPER_LOW} cards, 'low' below, 'empty' at 0`, async (t) => {
  t.testdir();
  const s = await make(t, HOPPER_LOW + 1);
  const seen: string[] = [];
  for (let i = 0; i <= HOPPER_LOW + 1; i++) {
    const st = await s.status();
    seen.push(`${st.hopperRemaining}:${st.hopper}`);
    if (st.hopperRemaining === 0) break;
    await s.feed();
    await s.eject();
  }
  t.same(seen, ['6:ok', '5:ok', '4:low', '3:low', '2:low', '1:low', '0:empty']);
});

void t.test('CLOSED after close; close is idempotent; the card stays at the station', async (t) => {
  t.testdir();
  const s = await make(t, 2);
  await s.feed();
  await s.close();
  await s.close();
  await t.rejects(s.feed(), { code: 'CLOSED' });
  await t.rejects(s.eject(), { code: 'CLOSED' });
  await t.rejects(s.capture(), { code: 'CLOSED' });
  await t.rejects(s.status(), { code: 'CLOSED' });
  await t.rejects(s.cardAtStation(), { code: 'CLOSED' });
  await t.rejects(s.transport.powerOn(), { code: 'CLOSED' });
  t.throws(() => s.armPowerCut({ afterApdus: 1 }), { code: 'CLOSED' });
  await t.rejects(s.identity.sign(new Uint8Array(4)), { code: 'CLOSED' }, 'the reader key is wiped');
  t.same(await s.cards('ic'), ['CA4D000000000001'], 'still at the station on disk');
});

void t.test('reopen: the card at the station is back at the contacts, unpowered, with its state', async (t) => {
  t.testdir();
  const dir = join(t.testdirName, 'station');
  const first = await make(t, 2);
  await first.feed();
  await first.transport.powerOn();
  await initUpdate(tx(first)); // sequence counter 1, persisted
  const id = first.identity.id;
  await first.close();

  const s = await SimStation.open(dir);
  t.teardown(() => s.close());
  t.equal(s.identity.id, id, 'same reader identity');
  t.equal(await s.cardAtStation(), true);
  t.equal(s.transport.cardPresent, true);
  await t.rejects(s.transport.transmit(encodeCommand(initializeUpdateCommand(0, new Uint8Array(8)))), { code: 'NOT_POWERED' });
  await s.transport.powerOn();
  t.ok(madeWith(KMC, await initUpdate(tx(s))), 'the same card answers');
  t.same((await s.status()).cardAtStation, true);
  await t.rejects(s.feed(), { code: 'OCCUPIED' });
  await s.eject();
  const gate = await SimCard.open({ statePath: s.imagePath('gate', 'CA4D000000000001') });
  t.equal(gate.inspect().isd.sequenceCounter, 2, 'both INITIALIZE UPDATEs are in the ejected image');
});

void t.test('eject during a command: the caller sees CARD_REMOVED, the image moves after the card wrote it', async (t) => {
  t.testdir();
  const clock = new FakeClock();
  const s = await make(t, 1, { clock, latency: REFERENCE_LATENCY });
  await s.feed();
  await s.transport.powerOn();
  const removed = t.rejects(s.transport.transmit(encodeCommand(initializeUpdateCommand(0, new Uint8Array(8)))), { code: 'CARD_REMOVED' });
  // Let the card commit its counter; the answer then waits for the latency model on the fake clock.
  for (let spins = 0; clock.pending === 0; spins++) {
    if (spins > 100_000) throw new Error('the card never reached its latency wait');
    await new Promise((r) => setImmediate(r));
  }
  await s.eject();
  await removed;
  t.equal(clock.pending, 0, 'the latency wait was cut short, not left on the clock');
  t.same(await s.cards('ic'), []);
  t.same(readdirSync(join(t.testdirName, 'station', 'ic')), [], 'no second image left in ic/');
  const gate = await SimCard.open({ statePath: s.imagePath('gate', 'CA4D000000000001') });
  t.equal(gate.inspect().isd.sequenceCounter, 1, 'the committed command is in the moved image');
});

void t.test('armPowerCut: the power fails mid-script, the card stays at the station and powers on again', async (t) => {
  t.testdir();
  const s = await make(t, 1);
  await s.feed();
  s.armPowerCut({ afterApdus: 2 });
  await s.transport.powerOn();
  t.equal(await selectSw(tx(s)), 0x9000, 'APDU 1 answers');
  await t.rejects(initUpdate(tx(s)), { code: 'CARD_REMOVED' }, 'APDU 2 loses power');
  t.equal(await s.cardAtStation(), true);
  t.equal(s.transport.cardPresent, true);
  await t.rejects(s.transport.transmit(encodeCommand(initializeUpdateCommand(0, new Uint8Array(8)))), { code: 'NOT_POWERED' });
  await s.transport.powerOn();
  t.ok(madeWith(KMC, await initUpdate(tx(s))), 'powerOn works again');
  t.throws(() => s.armPowerCut({}), { code: 'ARGUMENT_INVALID' }, 'a plan without a count is refused');
  t.same(await s.cards('ic'), ['CA4D000000000001']);
});

void t.test('onCardLoaded: a plan armed on every fed card; unsubscribe stops it', async (t) => {
  t.testdir();
  const s = await make(t, 2);
  const labels: string[] = [];
  const off = s.onCardLoaded((card, label) => {
    labels.push(`${label}=${card.serial}`);
    card.setPowerCut({ afterApdus: 1, phase: 'after-commit' });
  });
  await s.feed();
  await s.transport.powerOn();
  await t.rejects(initUpdate(tx(s)), { code: 'CARD_REMOVED' });
  await s.capture();
  off();
  await s.feed();
  await s.transport.powerOn();
  t.ok(madeWith(KMC, await initUpdate(tx(s))), 'no plan on the next card');
  t.same(labels, ['CA4D000000000001=CA4D000000000001']);
});

void t.test('addCards: counterfeit cards with a lower prefix are fed first; clashing serials are refused', async (t) => {
  t.testdir();
  const s = await make(t, 2);
  const dir = join(t.testdirName, 'station');
  const added = await SimStation.addCards(dir, { count: 2, stockMasterKey: OTHER_KMC, serialPrefix: '0BAD' });
  t.same(added, ['0BAD00000001', '0BAD00000002']);
  t.same(await s.cards('hopper'), ['0BAD00000001', '0BAD00000002', 'CA4D000000000001', 'CA4D000000000002']);
  t.same(await s.feed(), { label: '0BAD00000001' });
  await s.transport.powerOn();
  const iu = await initUpdate(tx(s));
  t.notOk(madeWith(KMC, iu), 'not made with the station KMC');
  t.ok(madeWith(OTHER_KMC, iu), 'made with the other one');
  await s.capture();

  await t.rejects(SimStation.addCards(dir, { count: 1, stockMasterKey: KMC, serialPrefix: 'CA4D0000' }), { code: 'ARGUMENT_INVALID', message: /CA4D000000000001/ });
  await t.rejects(SimStation.addCards(dir, { count: 1, stockMasterKey: KMC, serialPrefix: '0BAD' }), { code: 'ARGUMENT_INVALID' }, 'a card in reject/ clashes too');
  await t.rejects(SimStation.addCards(dir, { count: 1, stockMasterKey: new Uint8Array(20), serialPrefix: '01' }), { code: 'ARGUMENT_INVALID' });
  t.same(await s.cards('hopper'), ['0BAD00000002', 'CA4D000000000001', 'CA4D000000000002'], 'nothing added');
  t.same(readdirSync(dir).filter((n) => n.startsWith('.')), [], 'no temporary directory left');
  await t.rejects(SimStation.addCards(join(t.testdirName, 'none'), { count: 1, stockMasterKey: KMC, serialPrefix: '01' }), { code: 'IO' });
});

void t.test('readCardImage: reads an ejected card in a fresh reader; a missing image is NO_CARD, not a new card', async (t) => {
  t.testdir();
  const s = await make(t, 1);
  await s.feed();
  await s.eject();
  const path = s.imagePath('gate', 'CA4D000000000001');
  const { iu, atrLength } = await readCardImage(path, { run: async (transmit, atr) => ({ iu: await initUpdate(transmit), atrLength: atr.length }) });
  t.ok(madeWith(KMC, iu));
  t.ok(atrLength > 2);
  const missing = join(t.testdirName, 'station', 'gate', 'CA4D000000000009.eeprom');
  await t.rejects(readCardImage(missing, { run: () => Promise.resolve(0) }), { code: 'NO_CARD' });
  t.same(await s.cards('gate'), ['CA4D000000000001'], 'no card was made');
  await t.rejects(readCardImage(path, { run: () => Promise.reject(new Error('caller failed')) }), { message: 'caller failed' });
});

void t.test('a card whose image does not load is a mute chip: fed, IO at power-on, captured', async (t) => {
  t.testdir();
  const logger = memoryLogger();
  const s = await make(t, 2, { logger });
  await writeFile(s.imagePath('hopper', 'CA4D000000000001'), 'garbage');
  t.same(await s.feed(), { label: 'CA4D000000000001' });
  await t.rejects(s.transport.powerOn(), { code: 'IO' });
  t.throws(() => s.armPowerCut({ afterApdus: 1 }), { code: 'NO_CARD' });
  await s.capture();
  t.same(await s.cards('reject'), ['CA4D000000000001']);
  t.match(logger.lines.join(''), /does not load.*IMAGE_CORRUPT/);
});

void t.test('open refuses what only a hand edit makes; create refuses a used directory and bad input', async (t) => {
  t.testdir();
  const s = await make(t, 3);
  const dir = join(t.testdirName, 'station');
  await s.close();
  await rename(join(dir, 'hopper', 'CA4D000000000001.eeprom'), join(dir, 'ic', 'CA4D000000000001.eeprom'));
  await rename(join(dir, 'hopper', 'CA4D000000000002.eeprom'), join(dir, 'ic', 'CA4D000000000002.eeprom'));
  await t.rejects(SimStation.open(dir), { code: 'IO', message: /2 cards at the IC station/ });
  await rename(join(dir, 'ic', 'CA4D000000000002.eeprom'), join(dir, 'hopper', 'CA4D000000000002.eeprom'));
  await writeFile(join(dir, 'gate', 'CA4D000000000002.eeprom'), 'copy');
  await t.rejects(SimStation.open(dir), { code: 'IO', message: /CA4D000000000002 is in hopper\/ and in gate\// });

  await t.rejects(SimStation.open(join(t.testdirName, 'none')), { code: 'IO', message: /no simulated station/ });
  await t.rejects(SimStation.create({ dir, count: 1, stockMasterKey: KMC }), { code: 'ARGUMENT_INVALID', message: /not empty/ });
  const fresh = join(t.testdirName, 'fresh');
  await mkdir(fresh);
  await t.rejects(SimStation.create({ dir: fresh, count: 0, stockMasterKey: KMC }), { code: 'ARGUMENT_INVALID' });
  await t.rejects(SimStation.create({ dir: fresh, count: 1, stockMasterKey: KMC, serialPrefix: 'XYZ' }), { code: 'ARGUMENT_INVALID' });
  await t.rejects(SimStation.create({ dir: fresh, count: 1, stockMasterKey: KMC, id: 'bad id/..' }), { code: 'ARGUMENT_INVALID' });
  t.same(readdirSync(fresh), [], 'a failed create leaves the directory as it was');
  const ok = await SimStation.create({ dir: fresh, count: 1, stockMasterKey: KMC, id: 'reader-07' });
  t.equal(ok.identity.id, 'reader-07');
  await ok.close();
  t.equal((await SimStation.open(fresh)).identity.id, 'reader-07', 'the id is kept in station.json');
});

void t.test('test hooks validate their arguments', async (t) => {
  t.testdir();
  const s = await make(t, 1);
  await t.rejects(s.cards('stacker' as 'gate'), { code: 'ARGUMENT_INVALID' });
  t.throws(() => s.imagePath('gate', '../x'), { code: 'ARGUMENT_INVALID' });
  t.throws(() => s.imagePath('x' as 'gate', 'CA4D000000000001'), { code: 'ARGUMENT_INVALID' });
});

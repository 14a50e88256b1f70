/**
 * The hopper of blank cards: factory state (serials, KDF3-diversified ISD
 * keys checked through a real INITIALIZE UPDATE), persistence across
 * reopen, and refusals. Writes EEPROM images in a temp directory.
 */
import t from 'tap';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { encodeCommand, parseResponse } from '../../../card/apdu.js';
import { hex, toHex } from '../../../card/bytes.js';
import { diversifyKdf3 } from '../../../card/diversify.js';
import { selectIsd } from '../../../card/gp/select.js';
import { HostSecureChannel } from '../../../card/scp03/host-channel.js';
import { initializeUpdateCommand, parseInitializeUpdateResponse } from '../../../card/scp03/initialize-update.js';
import type { SimCard } from '../../../hardware/sim/card/index.js';
import { Hopper, HopperError, HOPPER_MANIFEST, MAX_MANIFEST_BYTES } from '../../../hardware/sim/hopper.js';
import { SimReader } from '../../../hardware/sim/sim-reader.js';

const KMC = hex('404142434445464748494A4B4C4D4E4F');
const HOST_CHALLENGE = hex('0102030405060708');

/** INITIALIZE UPDATE through a SimReader; returns the response data. */
async function initUpdate(card: SimCard): Promise<Uint8Array> {
  const reader = new SimReader();
  reader.insert(card);
  await reader.powerOn();
  const sel = parseResponse(await reader.transmit(encodeCommand(selectIsd())));
  const r = parseResponse(await reader.transmit(encodeCommand(initializeUpdateCommand(0, HOST_CHALLENGE))));
  if (sel.sw !== 0x9000 || r.sw !== 0x9000) throw new Error(`SELECT ${sel.sw.toString(16)}, INITIALIZE UPDATE ${r.sw.toString(16)}`);
  await reader.close();
  return r.data;
}

/** True when the card cryptogram verifies for the keys KDF3 derives from `kmc` and the card's KDD. */
function keysFrom(kmc: Uint8Array, iu: Uint8Array): boolean {
  const parsed = parseInitializeUpdateResponse(iu);
  const keys = { ...diversifyKdf3(kmc, parsed.kdd), kvn: parsed.kvn };
  try {
    HostSecureChannel.open({ keys, hostChallenge: HOST_CHALLENGE, initUpdateResponse: iu, securityLevel: 0x01 }).close();
    return true;
  } catch {
    return false;
  }
}

void t.test('create: unique deterministic serials, one image each, KDF3 keys from the stock master key', async (t) => {
  const dir = t.testdir();
  const hopper = await Hopper.create({ dir, count: 3, stockMasterKey: KMC, serialPrefix: 'c0ffee' });
  t.same(hopper.serials, ['C0FFEE00000001', 'C0FFEE00000002', 'C0FFEE00000003']);
  t.equal(hopper.remaining, 3);
  for (const s of hopper.serials) t.ok(existsSync(join(dir, `${s}.eeprom`)), `image of ${s}`);
  const manifest = await readFile(join(dir, HOPPER_MANIFEST), 'utf8');
  t.notMatch(manifest, /404142/i, 'the KMC is not stored');

  const a = await hopper.take();
  const b = await hopper.take();
  t.equal(a?.serial, 'C0FFEE00000001');
  t.equal(b?.serial, 'C0FFEE00000002');
  t.equal(toHex(a!.kdd), '000000C0FFEE00000001', 'KDD = serial right-aligned in 10 bytes');
  const iuA = await initUpdate(a!);
  const iuB = await initUpdate(b!);
  t.ok(keysFrom(KMC, iuA), 'card A: cryptogram verifies with KDF3(KMC, KDD)');
  t.ok(keysFrom(KMC, iuB), 'card B: cryptogram verifies with KDF3(KMC, KDD)');
  t.notOk(keysFrom(hex('00000000000000000000000000000001'), iuA), 'another master key fails');
  const kA = diversifyKdf3(KMC, a!.kdd);
  const kB = diversifyKdf3(KMC, b!.kdd);
  t.not(toHex(kA.enc), toHex(kB.enc), 'per-card keys differ');
  t.equal(hopper.remaining, 1);
});

void t.test('the same prefix gives the same serials; the default prefix gives 8-byte serials', async (t) => {
  const one = await Hopper.create({ dir: t.testdir(), count: 2, stockMasterKey: KMC, serialPrefix: 'AB' });
  const two = await Hopper.create({ dir: join(t.testdirName, 'again'), count: 2, stockMasterKey: KMC, serialPrefix: 'AB' });
  t.same(one.serials, two.serials);
  const def = await Hopper.create({ dir: join(t.testdirName, 'default'), count: 1, stockMasterKey: KMC });
  t.equal(def.serials[0], 'CA4D000000000001');
});

void t.test('AES-256 stock master key', async (t) => {
  const kmc256 = hex(`${toHex(KMC)}${toHex(KMC)}`);
  const hopper = await Hopper.create({ dir: t.testdir(), count: 1, stockMasterKey: kmc256 });
  const card = await hopper.take();
  t.ok(keysFrom(kmc256, await initUpdate(card!)), 'AES-256 keys from a 32-byte KMC');
});

void t.test('open: a reopened hopper remembers what was taken; empty gives undefined', async (t) => {
  const dir = t.testdir();
  const first = await Hopper.create({ dir, count: 2, stockMasterKey: KMC });
  await first.take();
  const again = await Hopper.open(dir);
  t.equal(again.remaining, 1);
  const card = await again.take();
  t.equal(card?.serial, 'CA4D000000000002', 'the next card, not the taken one');
  t.equal(await again.take(), undefined, 'empty');
  t.equal(again.remaining, 0);
  t.equal((await Hopper.open(dir)).remaining, 0);
});

void t.test('concurrent takes hand out different cards', async (t) => {
  const hopper = await Hopper.create({ dir: t.testdir(), count: 3, stockMasterKey: KMC });
  const cards = await Promise.all([hopper.take(), hopper.take(), hopper.take(), hopper.take()]);
  t.same(cards.map((c) => c?.serial), ['CA4D000000000001', 'CA4D000000000002', 'CA4D000000000003', undefined]);
});

void t.test('refusals', async (t) => {
  const dir = t.testdir();
  await Hopper.create({ dir, count: 1, stockMasterKey: KMC });
  await t.rejects(Hopper.create({ dir, count: 1, stockMasterKey: KMC }), { code: 'EXISTS' });
  const other = join(t.testdirName, 'x');
  await t.rejects(Hopper.create({ dir: other, count: 0, stockMasterKey: KMC }), { code: 'ARGUMENT_INVALID' });
  await t.rejects(Hopper.create({ dir: other, count: 1.5, stockMasterKey: KMC }), { code: 'ARGUMENT_INVALID' });
  await t.rejects(Hopper.create({ dir: other, count: 1, stockMasterKey: new Uint8Array(24) }), { code: 'ARGUMENT_INVALID' });
  await t.rejects(Hopper.create({ dir: other, count: 1, stockMasterKey: KMC, serialPrefix: 'ABC' }), { code: 'ARGUMENT_INVALID' });
  await t.rejects(Hopper.create({ dir: other, count: 1, stockMasterKey: KMC, serialPrefix: '01020304050607' }), HopperError);
  await t.rejects(Hopper.open(join(t.testdirName, 'nothing')), { code: 'IO' });
  await writeFile(join(dir, HOPPER_MANIFEST), '{"format":"cardline-hopper","version":1,"serials":["AA"],"taken":["BB"]}');
  await t.rejects(Hopper.open(dir), { code: 'MANIFEST_INVALID' });
  await writeFile(join(dir, HOPPER_MANIFEST), 'not json');
  await t.rejects(Hopper.open(dir), { code: 'MANIFEST_INVALID' });
  await writeFile(join(dir, HOPPER_MANIFEST), Buffer.alloc(MAX_MANIFEST_BYTES + 1, 0x20));
  await t.rejects(Hopper.open(dir), { code: 'MANIFEST_INVALID', message: /limit/ }, 'an oversized manifest is refused before it is read');
});

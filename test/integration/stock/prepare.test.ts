/**
 * Stock preparation on a simulated station (docs/provisioning.md §6): factory
 * cards (transport key, OP_READY) prepared over APDUs by provisioning/stock,
 * each checked independently afterwards: life cycle SECURED, ISD keys =
 * KDF3 of the stock master key (the center's own card authentication), the
 * application key set at KVN 20, the transport key gone, EF 5001's product
 * data. A card whose power is cut mid-way, and a card without the transport
 * key, are set aside with their reason and left out of the manifest.
 */
import t from 'tap';
import { randomBytes } from 'node:crypto';
import { encodeCommand, parseResponse } from '../../../card/apdu.js';
import { hex } from '../../../card/bytes.js';
import { selectIsd } from '../../../card/gp/select.js';
import { initializeUpdateCommand } from '../../../card/scp03/initialize-update.js';
import { HostSecureChannel } from '../../../card/scp03/host-channel.js';
import { authenticateCard } from '../../../card/script/card-auth.js';
import { profileByName } from '../../../card/script/profile.js';
import { deriveApplicationKeys, parseProductData, readProductEf, selectProductEf } from '../../../card/stock/index.js';
import { systemClock } from '../../../common/clock.js';
import { SimCard } from '../../../hardware/sim/card/index.js';
import { SimReader } from '../../../hardware/sim/sim-reader.js';
import { SimStation } from '../../../hardware/sim/sim-station.js';
import { BatchPreparer } from '../../../provisioning/stock/index.js';

const random = (n: number): Uint8Array => new Uint8Array(randomBytes(n));
const KMC = hex('00112233445566778899AABBCCDDEEFF');
const CHALLENGE = hex('0102030405060708');

async function send(reader: SimReader, cmd: Parameters<typeof encodeCommand>[0]): Promise<{ data: Uint8Array; sw: number }> {
  return parseResponse(await reader.transmit(encodeCommand(cmd)));
}

/** Opens the card image in a fresh reader (powered, ISD selected). */
async function readerFor(path: string): Promise<{ reader: SimReader; card: SimCard }> {
  const card = await SimCard.open({ statePath: path });
  const reader = new SimReader();
  reader.insert(card);
  await reader.powerOn();
  await send(reader, selectIsd());
  return { reader, card };
}

void t.test('a batch on a simulated station: every card SECURED, keys diversified, transport key gone, product data', async (t) => {
  const dir = t.testdir();
  const batch = BatchPreparer.create({ batch: 'B-test.1', stockMasterKey: KMC, random, clock: systemClock });
  const station = await SimStation.create({ dir, count: 3, prepare: batch.prepare, serialPrefix: 'C0DE', clock: systemClock });
  t.teardown(() => station.close());
  const hopper = await station.cards('hopper');
  const manifest = batch.manifest(hopper);
  batch.dispose();
  t.same(hopper, ['C0DE00000001', 'C0DE00000002', 'C0DE00000003']);
  t.same(manifest.cards.map((c) => c.serial), hopper);
  t.equal(manifest.product, 'cardline-basic');
  t.equal(manifest.batch, 'B-test.1');
  t.same(batch.failures, []);
  const profile = profileByName('cardline-basic');

  for (const c of manifest.cards) {
    t.equal(c.kdd, c.serial.padStart(20, '0'), 'KDD = serial right-aligned in 10 bytes');
    const { reader, card } = await readerFor(station.imagePath('hopper', c.serial));
    const info = card.inspect();
    t.equal(info.lifeCycleName, 'SECURED', `${c.serial} is SECURED`);
    t.same(info.isd.keyVersions, [0x01, 0x20], 'the ISD set first (KVN 01), the application set (KVN 20); no transport set');

    // What the center does: KVN 00 (the first set), KDF3 keys from the KMC, card cryptogram.
    const iu = await send(reader, initializeUpdateCommand(0, CHALLENGE));
    const auth = authenticateCard({ profile, kmc: KMC, hostChallenge: CHALLENGE, iuResponse: iu.data });
    t.same(auth, { ok: true, serial: c.kdd, kvn: 0x01 }, 'the center authenticates it and reads the manifest KDD');
    const wrong = authenticateCard({ profile, kmc: random(16), hostChallenge: CHALLENGE, iuResponse: iu.data });
    t.equal(wrong.ok, false, 'another master key does not');

    const app = await send(reader, initializeUpdateCommand(0x20, CHALLENGE));
    const keys = { ...deriveApplicationKeys(KMC, hex(c.kdd)), kvn: 0x20 };
    t.doesNotThrow(() => HostSecureChannel.open({ keys, hostChallenge: CHALLENGE, initUpdateResponse: app.data, securityLevel: 0x01 }).close(), 'application keys at KVN 20');

    const transport = await send(reader, initializeUpdateCommand(0x30, CHALLENGE));
    t.equal(transport.sw, 0x6a88, 'the transport key set is gone');

    t.equal((await send(reader, selectProductEf())).sw, 0x9000);
    const ef = await send(reader, readProductEf());
    t.equal(ef.sw, 0x9000);
    t.same(parseProductData(ef.data), { product: 'cardline-basic', batch: 'B-test.1', version: 1 }, 'EF 5001');
    await reader.close();
  }
});

void t.test('a card whose power is cut mid-way, and one without the transport key, are set aside; the rest go on', async (t) => {
  const dir = t.testdir();
  const batch = BatchPreparer.create({ batch: 'B2', stockMasterKey: KMC, random, clock: systemClock });
  const station = await SimStation.create({
    dir,
    count: 3,
    prepare: batch.prepare,
    serialPrefix: 'C0DE',
    clock: systemClock,
    // The second card loses power during its 5th APDU (the second PUT KEY): its first PUT KEY stays committed.
    onFactoryCard: (card, serial) => {
      if (serial === 'C0DE00000002') card.setPowerCut({ afterApdus: 5 });
    },
  });
  t.teardown(() => station.close());
  t.same(await station.cards('hopper'), ['C0DE00000001', 'C0DE00000003']);
  t.same(await station.cards('reject'), ['C0DE00000002'], 'set aside in the reject bin');
  t.same(batch.failures, [{ serial: 'C0DE00000002', reason: 'transport', step: 'put-key-app' }]);

  // A card already prepared (here: raw, its keys diversified at the factory) has no transport key: nothing is written.
  const raw = await SimCard.open({ profile: { serial: '0BAD000000000001', master: { kmc: random(16) } } });
  const reader = new SimReader();
  reader.insert(raw);
  const outcome = await batch.prepare({ label: '0BAD000000000001', transport: reader });
  await reader.close();
  t.same(outcome, { ok: false, failure: { serial: '0BAD000000000001', reason: 'transport-key', step: 'open' } }, 'its KVN 30 set is not the transport key: the card cryptogram fails');
  t.equal(raw.inspect().lifeCycleName, 'OP_READY');
  // A factory card whose transport key sits at another KVN: refused the same way, set aside.
  t.same(await SimStation.addCards(dir, { count: 1, prepare: batch.prepare, serialPrefix: '0CAD', kvn: 0x31 }), [], 'nothing added to the hopper');
  t.same(batch.failures.at(-1), { serial: '0CAD00000001', reason: 'transport-key', step: 'open', sw: '6A88' });
  t.same(await station.cards('reject'), ['0CAD00000001', 'C0DE00000002']);
  const m = batch.manifest(await station.cards('hopper'));
  batch.dispose();
  t.same(m.cards.map((c) => c.serial), ['C0DE00000001', 'C0DE00000003'], 'the manifest lists only the prepared cards in the hopper');
  const info = (await SimCard.open({ statePath: station.imagePath('reject', 'C0DE00000002') })).inspect();
  t.equal(info.lifeCycleName, 'OP_READY', 'the torn card never reached SECURED');
});

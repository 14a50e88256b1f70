import t from 'tap';
import { command } from '../../../card/apdu.js';
import { kcvAes } from '../../../card/crypto.js';
import { diversifyKdf3 } from '../../../card/diversify.js';
import {
  getStatus,
  parseCardData,
  parseCplc,
  parseFci,
  parseGetStatus,
  parseKeyInformation,
  putKeyAes,
  selectIsd,
  verifyPutKeyResponse,
} from '../../../card/gp/index.js';
import { HostSecureChannel, initializeUpdateCommand, parseInitializeUpdateResponse } from '../../../card/scp03/index.js';
import { SimCard } from '../../../hardware/sim/card/index.js';
import { pageRegistry } from '../../../hardware/sim/card/isd-registry.js';
import { APP_AID, counterRandom, getDataCmd, hex, Host, ISD_AID, KEYS, newCard, send, swHex, toHex } from './helpers.js';

void t.test('SELECT ISD answers its FCI (GPC v2.3.1 table 11-82)', async (t) => {
  const card = await newCard();
  for (const apdu of [selectIsd(), command(0x00, 0xa4, 0x04, 0x00, ISD_AID, 256), command(0x00, 0xa4, 0x04, 0x00, ISD_AID.subarray(0, 5), 256)]) {
    const r = await send(card, apdu);
    t.equal(swHex(r), '9000');
    const fci = parseFci(r.data);
    t.equal(toHex(fci.aid ?? new Uint8Array()), 'A000000151000000');
    t.equal(fci.maxCommandDataLength, 255);
    t.ok(fci.sdManagementData && fci.sdManagementData.length > 0, 'card recognition data in 73');
  }
  t.equal(swHex(await send(card, '00A4040C08A000000151000000')), '9000', 'P2 0C: no data');
  t.equal((await send(card, '00A4040C08A000000151000000')).data.length, 0);
  t.equal(swHex(await send(card, '00A4040008A000000151000001')), '6A82', 'unknown AID');
  t.equal(swHex(await send(card, '00A4040108A000000151000000')), '6A86', 'P2 last occurrence not supported');
  t.equal(swHex(await send(card, '04A4040008A000000151000000')), '6882', 'SELECT with secure messaging');
});

void t.test('GET DATA: CPLC, card data, key information, IIN, CIN, sequence counter', async (t) => {
  const card = await newCard();
  const cplcR = await send(card, getDataCmd(0x9f7f));
  t.equal(swHex(cplcR), '9000');
  t.equal(toHex(cplcR.data.subarray(0, 3)), '9F7F2A', 'GP class: the whole TLV');
  const cplc = parseCplc(cplcR.data);
  t.equal(toHex(cplc.icSerialNumber), '05060708', 'IC serial = last 4 bytes of the serial');
  t.equal(toHex(cplc.icBatchIdentifier), '0304');
  const iso = await send(card, '00CA9F7F00');
  t.equal(iso.data.length, 42, 'ISO class: value only (GPC v2.3.1 §11.3.3.1)');

  const cd = parseCardData((await send(card, getDataCmd(0x66))).data);
  t.equal(cd.gpVersion, '2.3.1');
  t.same(cd.secureChannels, [{ scp: 3, i: 0x70 }]);

  const keys = parseKeyInformation((await send(card, getDataCmd(0xe0))).data);
  t.same(
    keys.map((k) => [k.id, k.version, k.components[0]?.type, k.components[0]?.length]),
    [
      [1, 0x30, 0x88, 16],
      [2, 0x30, 0x88, 16],
      [3, 0x30, 0x88, 16],
    ],
  );
  t.equal(toHex((await send(card, getDataCmd(0x42))).data), '4203999999');
  t.equal(toHex((await send(card, getDataCmd(0x45))).data), '45080102030405060708', 'CIN = serial');
  t.equal(toHex((await send(card, getDataCmd(0xc1))).data), 'C103000000');
  t.equal(swHex(await send(card, getDataCmd(0x5f50))), '6A88', 'unknown tag');
});

void t.test('INITIALIZE UPDATE: KVN 00 and 30, unknown KVN, counter increments, pySim-style response', async (t) => {
  const card = await newCard();
  const hc = hex('8E1552D0513C60F3');
  const r1 = await send(card, initializeUpdateCommand(0x00, hc));
  t.equal(swHex(r1), '9000');
  const p1 = parseInitializeUpdateResponse(r1.data);
  t.equal(toHex(p1.kdd), '00000102030405060708', 'KDD = serial right-aligned in 10 bytes');
  t.equal(p1.kvn, 0x30);
  t.equal(p1.i, 0x70);
  t.equal(toHex(p1.sequenceCounter ?? new Uint8Array()), '000001', 'first session: counter 000001');
  const r2 = await send(card, initializeUpdateCommand(0x30, hc));
  t.equal(toHex(parseInitializeUpdateResponse(r2.data).sequenceCounter ?? new Uint8Array()), '000002');
  t.equal(swHex(await send(card, initializeUpdateCommand(0x31, hc))), '6A88', 'unknown key version');
  t.equal(swHex(await send(card, '8050300007' + '8E1552D0513C60' + '00')), '6700', 'short challenge');
  t.equal(swHex(await send(card, '8050300108' + '8E1552D0513C60F3' + '00')), '6A86', 'P2 must be 00');
  t.equal(swHex(await send(card, '0050300008' + '8E1552D0513C60F3' + '00')), '6E00', 'ISO class');
  t.equal(card.inspect().isd.sequenceCounter, 2, 'failed attempts do not count');
  // The host side verifies the card cryptogram and the pseudo-random challenge.
  const host = HostSecureChannel.open({ keys: KEYS, hostChallenge: hc, initUpdateResponse: r2.data, securityLevel: 0x03, aid: ISD_AID });
  t.ok(host.isOpen);
});

void t.test('EXTERNAL AUTHENTICATE: wrong keys 6300, out of sequence 6985, bad level 6A86', async (t) => {
  const card = await newCard();
  t.equal(swHex(await send(card, '8482030010' + '00'.repeat(16))), '6985', 'without INITIALIZE UPDATE');
  const wrong = new Host(card, { ...KEYS, mac: hex('00'.repeat(16)) });
  await t.rejects(wrong.authenticate(0x03), /CARD_CRYPTOGRAM/, 'host rejects the card cryptogram under wrong keys');
  // A host holding the right MAC key but a forged cryptogram: 6300.
  const host = new Host(card);
  await host.authenticate(0x03);
  const hc = hex('0102030405060708');
  await send(card, initializeUpdateCommand(0, hc));
  t.equal(swHex(await send(card, '8482030010' + '11'.repeat(16))), '6300');
  t.equal(swHex(await send(card, '8482030010' + '11'.repeat(16))), '6985', 'the failed attempt ended the session');
  const ok = new Host(card);
  t.equal(swHex(await ok.authenticate(0x33)), '9000');
  // SL 31 is not an SCP03 level.
  const iu = await send(card, initializeUpdateCommand(0, hc));
  const ch = HostSecureChannel.open({ keys: KEYS, hostChallenge: hc, initUpdateResponse: iu.data, securityLevel: 0x03, aid: ISD_AID });
  const ea = ch.externalAuthenticate();
  t.equal(swHex(await send(card, command(ea.cla, ea.ins, 0x31, ea.p2, ea.data))), '6A86');
});

void t.test('i=60: random card challenge, no counter', async (t) => {
  const card = await newCard({ profile: { i: 0x60 } });
  const r = await send(card, initializeUpdateCommand(0, hex('0011223344556677')));
  const p = parseInitializeUpdateResponse(r.data);
  t.equal(p.i, 0x60);
  t.equal(p.sequenceCounter, undefined);
  t.equal(swHex(await send(card, getDataCmd(0xc1))), '6A88', 'no sequence counter without pseudo-random challenges');
  t.equal(swHex(await new Host(card).authenticate(0x13)), '9000');
});

void t.test('ISD keys from a master key via KDF3 equal diversifyKdf3(KMC, KDD)', async (t) => {
  const kmc = hex('404142434445464748494A4B4C4D4E4F');
  const card = await SimCard.open({ profile: { serial: '0809', master: { kmc } }, random: counterRandom() }).catch((e: unknown) => e);
  t.match(card, { code: 'PROFILE_INVALID' }, 'a 2-byte serial is refused');
  const c2 = await SimCard.open({ profile: { serial: '00010203040506070809', master: { kmc } }, random: counterRandom() });
  await c2.powerOn();
  t.equal(toHex(c2.kdd), '00010203040506070809');
  const keys = diversifyKdf3(kmc, c2.kdd);
  t.same([toHex(kcvAes(keys.enc)), toHex(kcvAes(keys.mac)), toHex(kcvAes(keys.dek))], ['E79C05', 'D1BD77', '3FDE8C'], 'reference KCVs');
  const host = new Host(c2, { ...keys, kvn: 0x30 });
  t.equal(swHex(await host.authenticate(0x03)), '9000', 'the diversified keys open a session');
  await t.rejects(new Host(c2, { ...KEYS }).authenticate(0x03), /CARD_(CHALLENGE|CRYPTOGRAM)/, 'the undiversified keys do not');
});

void t.test('GET STATUS needs a session; lists the ISD and the application', async (t) => {
  const card = await newCard();
  t.equal(swHex(await send(card, getStatus(0x80, false))), '6982');
  const host = new Host(card);
  await host.authenticate(0x13);
  const isd = await host.secure(getStatus(0x80, false));
  t.equal(swHex(isd), '9000');
  t.same(
    parseGetStatus(isd.data).map((e) => [toHex(e.aid), e.lifeCycle, e.privileges]),
    [['A000000151000000', 0x01, 0x9efe80]],
  );
  const apps = parseGetStatus((await host.secure(getStatus(0x40, false))).data);
  t.same(apps.map((e) => [toHex(e.aid), e.lifeCycle]), [[toHex(APP_AID), 0x07]]);
  t.equal(swHex(await host.secure(getStatus(0x40, false, hex('A0000001')))), '6A88', 'no match');
  t.equal(swHex(await host.secure(getStatus(0x20, false))), '6A88', 'no load files');
  t.equal(swHex(await host.secure(getStatus(0x40, true))), '6985', 'get-next without a pending answer');
  t.equal(swHex(await host.secure(command(0x80, 0xf2, 0x40, 0x00, hex('4F00'), 256))), '6A86', 'deprecated response format');
});

void t.test('PUT KEY: replace and add key sets, KCV check, response KVN ‖ KCVs', async (t) => {
  const card = await newCard();
  const host = new Host(card);
  await host.authenticate(0x03);
  const k2 = [hex('A0'.repeat(16)), hex('A1'.repeat(16)), hex('A2'.repeat(16))];
  const add = await host.secure(putKeyAes({ newKvn: 0x31, replaceKvn: 0, keys: k2, dek: KEYS.dek }));
  t.equal(swHex(add), '9000');
  verifyPutKeyResponse(add.data, 0x31, k2);
  t.same(card.inspect().isd.keyVersions, [0x30, 0x31]);
  t.equal(swHex(await host.secure(putKeyAes({ newKvn: 0x31, replaceKvn: 0, keys: k2, dek: KEYS.dek }))), '6A80', 'KVN in use');
  t.equal(swHex(await host.secure(putKeyAes({ newKvn: 0x33, replaceKvn: 0x35, keys: k2, dek: KEYS.dek }))), '6A88', 'nothing to replace');
  const bad = putKeyAes({ newKvn: 0x32, replaceKvn: 0x31, keys: k2, dek: KEYS.dek });
  const data = bad.data.slice();
  data[data.length - 1]! ^= 0x01; // last KCV byte
  t.equal(swHex(await host.secure(command(bad.cla, bad.ins, bad.p1, bad.p2, data, 256))), '6982', 'KCV mismatch');
  t.equal(swHex(await host.secure(putKeyAes({ newKvn: 0x32, replaceKvn: 0x31, keys: k2.slice(0, 1), dek: KEYS.dek, firstKeyId: 1 }))), '6A86', 'single key: not supported');
  // Replace 31 with 32; then a session with the new keys.
  t.equal(swHex(await host.secure(putKeyAes({ newKvn: 0x32, replaceKvn: 0x31, keys: k2, dek: KEYS.dek }))), '9000');
  t.same(card.inspect().isd.keyVersions, [0x30, 0x32]);
  const newHost = new Host(card, { enc: k2[0]!, mac: k2[1]!, dek: k2[2]!, kvn: 0x32 });
  t.equal(swHex(await newHost.authenticate(0x03, 0x32)), '9000');
  t.equal(swHex(await send(card, putKeyAes({ newKvn: 0x33, replaceKvn: 0, keys: k2, dek: KEYS.dek }))), '6982', 'PUT KEY outside a session');
});

void t.test('no data object leaks a key; GET DATA D3 gives the session level', async (t) => {
  const card = await newCard();
  const host = new Host(card);
  await host.authenticate(0x13);
  const r = await host.secure(getDataCmd(0xd3));
  t.equal(toHex(r.data), 'D30113');
  const answers: string[] = [];
  for (const tag of [0x9f7f, 0x66, 0xe0, 0x42, 0x45, 0xc1]) answers.push(toHex((await host.secure(getDataCmd(tag))).data));
  answers.push(toHex((await send(card, selectIsd())).data));
  for (const key of [KEYS.enc, KEYS.mac, KEYS.dek]) {
    t.notOk(answers.some((a) => a.includes(toHex(key).slice(0, 16))), 'no key bytes in any answer');
  }
});

void t.test('GET STATUS pages: entries that do not fit wait for get-next (6310)', (t) => {
  const entries = Array.from({ length: 12 }, (_, i) => ({ aid: hex(`F0000000${i.toString(16).padStart(2, '0')}0102030405060708`), lifeCycle: 0x07, privileges: 0 }));
  const first = pageRegistry(entries);
  t.ok(first.data.length <= 232, `first page of ${first.data.length} bytes leaves room for R-ENC padding and R-MAC`);
  t.ok(first.rest.length > 0, 'some entries wait');
  const second = pageRegistry(first.rest);
  t.equal(parseGetStatus(first.data).length + parseGetStatus(second.data).length, 12, 'all entries, once each');
  t.equal(second.rest.length, 0);
  t.end();
});

void t.test('PUT KEY needs at least C-MAC: a session at level 00 cannot replace keys', async (t) => {
  const card = await newCard();
  const host = new Host(card);
  t.equal(swHex(await host.authenticate(0x00)), '9000', 'level 00 is a valid SCP03 session');
  const k2 = [hex('A0'.repeat(16)), hex('A1'.repeat(16)), hex('A2'.repeat(16))];
  const r = await host.secure(putKeyAes({ newKvn: 0x30, replaceKvn: 0x30, keys: k2, dek: KEYS.dek }));
  t.equal(swHex(r), '6982');
  t.same(card.inspect().isd.keyVersions, [0x30]);
  t.equal(swHex(await new Host(card).authenticate(0x03)), '9000', 'the old keys still open a session');
});

import t from 'tap';
import { command } from '../../../card/apdu.js';
import { kcvAes } from '../../../card/crypto.js';
import { encodeDgi, type Dgi } from '../../../card/dgi.js';
import { findTag, parseTlv } from '../../../card/tlv.js';
import { memoryLogger } from '../../../common/log.js';
import { encryptSecretDgi, installForPersonalization, parseFci, selectByAid, storeDataCommands } from '../../../card/gp/index.js';
import {
  APP_AID,
  getDataCmd,
  hex,
  Host,
  KEYS,
  newCard,
  personalize,
  persoCommands,
  SAMPLE_DGIS,
  send,
  swHex,
  toHex,
} from './helpers.js';

const KCV_MARKER = hex('5C0184');

for (const level of [0x03, 0x13, 0x33]) {
  void t.test(`full personalization over SCP03 at SL ${level.toString(16).padStart(2, '0')} and read-back`, async (t) => {
    const card = await newCard();
    const host = new Host(card);
    t.equal(swHex(await host.authenticate(level)), '9000');
    const sws = await personalize(host, level);
    t.ok(sws.length >= 4, 'INSTALL and several STORE DATA blocks');
    t.same(new Set(sws), new Set([0x9000]), 'every command 9000');
    const app = card.inspect().apps[0]!;
    t.equal(app.lifeCycleName, 'PERSONALIZED');
    t.same(app.dgiTags, ['0101', '0102', '0201', '9102']);
    t.same(app.secretDgiTags, ['8000', '8001', '8010']);

    // Read-back: select the application (ends the ISD session), then plain GET DATA / READ RECORD.
    const sel = await send(card, selectByAid(APP_AID));
    t.equal(swHex(sel), '9000');
    const fci = parseFci(sel.data);
    t.equal(toHex(fci.aid ?? new Uint8Array()), toHex(APP_AID));
    t.equal(toHex(findTag(parseTlv(sel.data), 0xa5)?.value ?? new Uint8Array()), toHex(SAMPLE_DGIS[2]!.value), 'A5 = DGI 9102');
    for (const dgi of SAMPLE_DGIS.filter((d) => d.tag < 0x8000)) {
      const r = await send(card, getDataCmd(dgi.tag));
      t.equal(swHex(r), '9000');
      t.equal(toHex(r.data), toHex(dgi.value), `GET DATA ${dgi.tag.toString(16)} reads back what was stored`);
    }
    const rec = await send(card, '00B2010C00');
    t.equal(toHex(rec.data), toHex(SAMPLE_DGIS[0]!.value), 'READ RECORD SFI 1 record 1 = DGI 0101');
    t.equal(toHex((await send(card, '00B2020C00')).data), toHex(SAMPLE_DGIS[1]!.value));
    t.equal(swHex(await send(card, '00B2030C00')), '6A83', 'no record 3 in SFI 1');
    t.equal(swHex(await send(card, '00B2011C00')), '6A82', 'no SFI 3');
    t.equal(swHex(await send(card, '00B2010400')), '6986', 'SFI 0: no current EF');
  });
}

void t.test('secret DGIs are never readable; their KCVs are', async (t) => {
  const card = await newCard();
  const host = new Host(card);
  await host.authenticate(0x33);
  await personalize(host, 0x33);
  await send(card, selectByAid(APP_AID));
  for (const tag of [0x8000, 0x8001, 0x8010, 0x8fff]) {
    const r = await send(card, getDataCmd(tag));
    t.equal(swHex(r), '6982', `GET DATA ${tag.toString(16)}: 6982, stored or not`);
    t.equal(r.data.length, 0);
    t.equal(swHex(await send(card, command(0x00, 0xca, tag >>> 8, tag & 0xff, new Uint8Array(0), 256))), '6982', 'ISO class too');
  }
  const k0 = await send(card, getDataCmd(0x8000, KCV_MARKER));
  t.equal(swHex(k0), '9000');
  t.equal(toHex(k0.data), toHex(kcvAes(SAMPLE_DGIS[4]!.value)), 'KCV of the AES-128 key in 8000');
  const k1 = await send(card, getDataCmd(0x8001, KCV_MARKER));
  t.equal(toHex(k1.data), toHex(kcvAes(SAMPLE_DGIS[5]!.value)), 'KCV of the 32-byte key in 8001');
  t.equal(swHex(await send(card, getDataCmd(0x8010, KCV_MARKER))), '6A88', 'a PIN block has no KCV');
  t.equal(swHex(await send(card, getDataCmd(0x8002, KCV_MARKER))), '6A88', 'not stored');
  t.equal(swHex(await send(card, getDataCmd(0x0101, KCV_MARKER))), '6A88', 'plain DGIs have no KCV');
  t.equal(swHex(await send(card, getDataCmd(0x0101, hex('5C019F')))), '6A80', 'other tag lists are refused');
});

void t.test('after the last block: PERSONALIZED, further STORE DATA and INSTALL 6985', async (t) => {
  const card = await newCard();
  const host = new Host(card);
  await host.authenticate(0x03);
  await personalize(host, 0x03);
  t.equal(swHex(await host.secure(storeDataCommands([hex('010103AABBCC')])[0]!)), '6985', 'the session ended with the last block');
  t.equal(swHex(await host.secure(installForPersonalization(APP_AID))), '6985', 'no second personalization');
  t.same(card.inspect().apps[0]!.dgiTags, ['0101', '0102', '0201', '9102']);
});

void t.test('the application demands C-MAC + C-DECRYPTION: SL 01 and 11 are refused with 6982', async (t) => {
  for (const level of [0x01, 0x11]) {
    const card = await newCard();
    const host = new Host(card);
    await host.authenticate(level);
    const [install, first] = persoCommands(level);
    t.equal(swHex(await host.secure(install!)), '9000', 'INSTALL needs only authentication');
    t.equal(swHex(await host.secure(first!)), '6982');
    t.same(card.inspect().apps[0]!.dgiTags, [], 'nothing written');
  }
  const lenient = await newCard({ profile: { persoSecurityLevel: 0x01 } });
  const host = new Host(lenient);
  await host.authenticate(0x01);
  t.same(new Set(await personalize(host, 0x01)), new Set([0x9000]), 'a profile may demand less');
});

void t.test('writes outside a session are refused', async (t) => {
  const card = await newCard();
  t.equal(swHex(await send(card, installForPersonalization(APP_AID))), '6982', 'INSTALL without a session');
  t.equal(swHex(await send(card, storeDataCommands([hex('010103AABBCC')])[0]!)), '6982', 'STORE DATA without a session');
  const host = new Host(card);
  await host.authenticate(0x03);
  t.equal(swHex(await host.secure(storeDataCommands([hex('010103AABBCC')])[0]!)), '6985', 'STORE DATA without INSTALL');
});

void t.test('INSTALL [for personalization] errors', async (t) => {
  const card = await newCard();
  const host = new Host(card);
  await host.authenticate(0x03);
  t.equal(swHex(await host.secure(installForPersonalization(hex('F0434152444C494E4502')))), '6A88', 'unknown application');
  t.equal(swHex(await host.secure(installForPersonalization(hex('A000000151000000')))), '6A88', 'the ISD is no target');
  t.equal(swHex(await host.secure(command(0x80, 0xe6, 0x20, 0x00, hex('0000050102030405'), 256))), '6A80', 'malformed data');
  t.equal(swHex(await host.secure(command(0x80, 0xe6, 0x0c, 0x00, hex('00000A') , 256))), '6A86', 'INSTALL [for install] not supported');
  const ok = await host.secure(installForPersonalization(APP_AID));
  t.equal(swHex(ok), '9000');
  t.equal(toHex(ok.data), '00', 'INSTALL answers 00 (GPC v2.3.1 §11.5.3.1)');
});

void t.test('both P1 conventions: 00/60 and 08/68', async (t) => {
  const card = await newCard();
  const host = new Host(card);
  await host.authenticate(0x03);
  t.same(new Set(await personalize(host, 0x03, SAMPLE_DGIS, 'gp')), new Set([0x9000]));
  t.equal(card.inspect().apps[0]!.lifeCycleName, 'PERSONALIZED');
});

void t.test('P1 60 with a non-secret DGI: its value is decrypted too', async (t) => {
  const card = await newCard();
  const host = new Host(card);
  await host.authenticate(0x03);
  await host.secure(installForPersonalization(APP_AID));
  const enc = encodeDgi(encryptSecretDgi(KEYS.dek, { tag: 0x0301, value: hex('CAFE') }));
  t.equal(swHex(await host.secure(storeDataCommands([enc], { p1Format: 'encrypted' })[0]!)), '9000');
  await send(card, selectByAid(APP_AID));
  t.equal(toHex((await send(card, getDataCmd(0x0301))).data), 'CAFE');
});

void t.test('BER-TLV format is refused; a DGI that does not decrypt is 6A80 and nothing is written', async (t) => {
  const card = await newCard();
  const host = new Host(card);
  await host.authenticate(0x03);
  await host.secure(installForPersonalization(APP_AID));
  t.equal(swHex(await host.secure(storeDataCommands([hex('5A0412345678')], { p1Format: 'ber-tlv' })[0]!)), '6A80');
  // Secret DGI 8000 in clear: 15 bytes is not whole AES blocks.
  t.equal(swHex(await host.secure(storeDataCommands([hex('01010100' + '80000F' + '00'.repeat(15))])[0]!)), '6A80');
  t.same(card.inspect().apps[0]!.dgiTags, [], 'not even the good DGI 0101 of the same command');
  t.same(card.inspect().apps[0]!.secretDgiTags, []);
  // Encrypted under the wrong DEK: the padding check fails.
  const wrong = encodeDgi(encryptSecretDgi(hex('00'.repeat(16)), { tag: 0x8000, value: hex('11'.repeat(16)) }));
  t.equal(swHex(await host.secure(storeDataCommands([wrong], { p1Format: 'encrypted' })[0]!)), '6A80');
  t.same(card.inspect().apps[0]!.secretDgiTags, []);
});

void t.test('the last block must not end inside a DGI', async (t) => {
  const card = await newCard();
  const host = new Host(card);
  await host.authenticate(0x03);
  await host.secure(installForPersonalization(APP_AID));
  t.equal(swHex(await host.secure(storeDataCommands([hex('01010501020304')])[0]!)), '6A80', 'DGI of 5 with 4 bytes, last block');
  const app = card.inspect().apps[0]!;
  t.equal(app.lifeCycleName, 'SELECTABLE', 'not PERSONALIZED');
});

void t.test('application memory limit: 6A84 and nothing written', async (t) => {
  const card = await newCard({ profile: { appMemory: 300 } });
  const host = new Host(card);
  await host.authenticate(0x03);
  const sws = await personalize(host, 0x03);
  t.ok(sws.includes(0x6a84));
  t.equal(card.inspect().apps[0]!.lifeCycleName, 'SELECTABLE');
});

void t.test('a locked application cannot be personalized or selected', async (t) => {
  const card = await newCard();
  const host = new Host(card);
  await host.authenticate(0x03);
  t.equal(swHex(await host.secure(command(0x80, 0xf0, 0x40, 0x80, APP_AID))), '9000', 'lock');
  t.equal(card.inspect().apps[0]!.lifeCycleName, 'LOCKED');
  t.equal(swHex(await host.secure(installForPersonalization(APP_AID))), '6985');
  t.equal(swHex(await send(card, selectByAid(APP_AID))), '6A82');
});

void t.test('logs carry tags and status words, never keys or DGI values', async (t) => {
  const logger = memoryLogger('test');
  const card = await newCard({ logger });
  const host = new Host(card);
  await host.authenticate(0x33);
  await personalize(host, 0x33);
  await send(card, selectByAid(APP_AID));
  await send(card, getDataCmd(0x8000, KCV_MARKER));
  t.ok(logger.lines.length > 5, 'the card logged its work');
  const text = logger.lines.join('\n').toUpperCase();
  const secrets = [KEYS.enc, KEYS.mac, KEYS.dek, ...SAMPLE_DGIS.map((d) => d.value)];
  for (const s of secrets) {
    const h = toHex(s).slice(0, 12);
    t.notOk(text.includes(h), 'no value in hex');
    t.notOk(text.includes(Buffer.from(s).toString('base64').slice(0, 12).toUpperCase()), 'nor in base64');
  }
});

void t.test('a key-shaped PIN DGI still has no KCV (no offline PIN oracle)', async (t) => {
  const card = await newCard();
  const host = new Host(card);
  await host.authenticate(0x03);
  // An ISO 9564 format 4 PIN block is 16 bytes: key-shaped for the KCV rule, yet a PIN.
  const pin16: Dgi = { tag: 0x8010, value: hex('441234AAAAAAAAAA0123456789ABCDEF') };
  const key16: Dgi = { tag: 0x8000, value: hex('00112233445566778899AABBCCDDEEFF') };
  t.same(new Set(await personalize(host, 0x03, [key16, pin16])), new Set([0x9000]));
  t.same(card.inspect().apps[0]!.secretDgiTags, ['8000', '8010']);
  await send(card, selectByAid(APP_AID));
  t.equal(swHex(await send(card, getDataCmd(0x8010, KCV_MARKER))), '6A88', 'PIN DGI: no KCV');
  t.equal(swHex(await send(card, getDataCmd(0x8010))), '6982', 'and no value');
  t.equal(toHex((await send(card, getDataCmd(0x8000, KCV_MARKER))).data), toHex(kcvAes(key16.value)), 'a key of the same length has one');
});

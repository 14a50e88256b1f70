import t from 'tap';
import { command } from '../../../card/apdu.js';
import { findTag, parseTlv } from '../../../card/tlv.js';
import { selectByAid, selectIsd } from '../../../card/gp/index.js';
import { APP_AID, hex, Host, newCard, send, swHex, toHex } from './helpers.js';

const fcp = (data: Uint8Array) => parseTlv(data)[0]!;

void t.test('SELECT by FID and path (ISO 7816-4 §11.1.1)', async (t) => {
  const card = await newCard();
  const mf = await send(card, '00A40004023F00');
  t.equal(swHex(mf), '9000');
  t.equal(fcp(mf.data).tag, 0x62, 'P2 04: FCP');
  t.equal(toHex(findTag(parseTlv(mf.data), 0x83)!.value), '3F00');
  t.equal(toHex(findTag(parseTlv(mf.data), 0x82)!.value), '38', 'a DF');
  t.equal(fcp((await send(card, '00A40000023F00')).data).tag, 0x6f, 'P2 00: FCI');
  t.equal((await send(card, '00A4000C023F00')).data.length, 0, 'P2 0C: nothing');
  t.equal(swHex(await send(card, '00A4000C00')), '9000', 'P1 00 without data: the MF');

  const df = await send(card, '00A40104025000');
  t.equal(swHex(df), '9000', 'child DF');
  const ef = await send(card, '00A40204025001');
  t.equal(swHex(ef), '9000', 'EF of the current DF');
  const list = parseTlv(ef.data);
  t.equal(toHex(findTag(list, 0x80)!.value), '0080', '128 bytes');
  t.equal(toHex(findTag(list, 0x88)!.value), '08', 'SFI 1');
  t.equal(swHex(await send(card, '00A40104025001')), '6A82', 'P1 01 wants a DF');
  t.equal(swHex(await send(card, '00A4030C00')), '9000', 'parent DF');
  t.equal(swHex(await send(card, '00A4030C00')), '6A82', 'the MF has no parent');
  t.equal(swHex(await send(card, '00A4080C0450005002')), '9000', 'path from the MF');
  const rec = await send(card, '00A40804045000500200');
  t.equal(toHex(findTag(parseTlv(rec.data), 0x82)!.value), '022100' + '2008', 'linear fixed, 32-byte records, 8 of them');
  t.equal(swHex(await send(card, '00A4090C025003')), '9000', 'path from the current DF (5000)');
  t.equal(swHex(await send(card, '00A4090C023F00')), '6A82', 'the MF is not below the current DF');
  t.equal(swHex(await send(card, '00A4020C022F00')), '6A82', 'P1 02: EF.DIR is not an EF of DF 5000');
  t.equal(swHex(await send(card, '00A4000C022F00')), '9000', 'P1 00 also looks at the parent\'s children');
  t.equal(swHex(await send(card, '00A4000C025000')), '9000', 'P1 00 finds DF 5000 from its own EF');
  t.equal(swHex(await send(card, '00A4000C025000')), '9000', 'and from DF 5000 itself');
  t.equal(swHex(await send(card, '00A4000C021234')), '6A82', 'unknown FID');
  t.equal(swHex(await send(card, '00A4000C03123456')), '6A87', 'odd FID length');
  t.equal(swHex(await send(card, '00A40010023F00')), '6A86', 'P2 with bits we do not support');
  t.equal(swHex(await send(card, '00A40008023F00')), '6A86', 'P2 08: FMD not supported');
  t.equal(swHex(await send(card, '00A40A0C023F00')), '6A86', 'P1 0A');
});

void t.test('READ BINARY: offsets, SFI, 6B00 beyond the end, 6282 short read', async (t) => {
  const card = await newCard();
  t.equal(swHex(await send(card, '00B0000008')), '6986', 'no current EF');
  const atr = await send(card, '00B09D0000');
  t.equal(swHex(atr), '9000', 'EF.ATR by SFI 1D from the MF');
  t.equal(toHex(atr.data), '4703FE2100' + '4605434C53494D');
  t.equal(toHex((await send(card, '00B0000203')).data), 'FE2100', 'offset 2 of the current EF (now EF.ATR)');
  t.equal(swHex(await send(card, '00B0000C01')), '6B00', 'offset = size');
  t.equal(swHex(await send(card, '00B0100001')), '6B00', 'offset far beyond');
  const short = await send(card, '00B0000A10');
  t.equal(swHex(short), '6282', 'fewer bytes than Le');
  t.equal(short.data.length, 2);
  t.equal(swHex(await send(card, '00B00000')), '6700', 'no Le');
  t.equal(swHex(await send(card, '00B0810000')), '6A82', 'no SFI 1 in the MF');
  t.equal(swHex(await send(card, '00B0E10000')), '6A86', 'P1 b7b6 must be 00 with an SFI');
  await send(card, '00A4000C022F00');
  t.equal(swHex(await send(card, '00B0000000')), '6981', 'READ BINARY on a record EF');
});

void t.test('READ RECORD: EF.DIR, modes, 6A83', async (t) => {
  const card = await newCard();
  const dir = await send(card, '00B201F400');
  t.equal(swHex(dir), '9000', 'EF.DIR by SFI 1E');
  const app = findTag(parseTlv(dir.data), 0x4f);
  t.equal(toHex(app!.value), toHex(APP_AID), 'EF.DIR names the application');
  t.equal(swHex(await send(card, '00B202F400')), '6A83', 'one record only');
  t.equal(swHex(await send(card, '00B200F000')), '9000', 'first record (mode 000)');
  t.equal(swHex(await send(card, '00B200F200')), '6A83', 'next after the last');
  t.equal(swHex(await send(card, '00B200F100')), '9000', 'last record (mode 001)');
  t.equal(swHex(await send(card, '00B200F500')), '6A86', 'mode 101 not supported');
  t.equal(swHex(await send(card, '00B201FC00')), '6A86', 'SFI 1F');
  t.equal(swHex(await send(card, '00B2010C00')), '6A82', 'no SFI 1 in the MF');
  t.equal(swHex(await send(card, '00B2010400')), '9000', 'SFI 0: the current EF (EF.DIR after the reads)');
});

void t.test('writes need an authenticated session and respect the file structure', async (t) => {
  const card = await newCard();
  await send(card, '00A4080C0450005001');
  t.equal(swHex(await send(card, '00D6000002AABB')), '6982', 'UPDATE BINARY outside a session');
  t.equal(swHex(await send(card, '00DC010C20' + '11'.repeat(32))), '6982', 'UPDATE RECORD outside a session');
  t.equal(swHex(await send(card, '00E2001803CCDDEE')), '6982', 'APPEND RECORD outside a session');
  const host = new Host(card);
  await host.authenticate(0x03);
  // SELECT ISD (in authenticate) reset the current file to the MF; select the EF again (SELECT needs no protection).
  t.equal(swHex(await host.plain('00A4080C0450005001')), '9000');
  t.equal(swHex(await host.secure(command(0x00, 0xd6, 0x00, 0x10, hex('AABBCC')))), '9000', 'UPDATE BINARY at offset 16');
  t.equal(toHex((await host.secure(command(0x00, 0xb0, 0x00, 0x0f, new Uint8Array(0), 5))).data), '00AABBCC00');
  t.equal(swHex(await host.secure(command(0x00, 0xd6, 0x00, 0x7f, hex('0102')))), '6700', 'data beyond the end');
  t.equal(swHex(await host.secure(command(0x00, 0xd6, 0x00, 0x80, hex('01')))), '6B00', 'offset beyond the end');
  t.equal(swHex(await host.secure(command(0x00, 0xd6, 0x82, 0x00, hex('01')))), '6981', 'SFI 2 is a record EF');

  t.equal(swHex(await host.secure(command(0x00, 0xdc, 0x03, 0x14, hex('22'.repeat(32))))), '9000', 'UPDATE RECORD 3 of SFI 2');
  t.equal(toHex((await host.secure(command(0x00, 0xb2, 0x03, 0x14, new Uint8Array(0), 256))).data), '22'.repeat(32));
  t.equal(swHex(await host.secure(command(0x00, 0xdc, 0x03, 0x14, hex('22'.repeat(31))))), '6700', 'linear fixed: exact length');
  t.equal(swHex(await host.secure(command(0x00, 0xdc, 0x09, 0x14, hex('22'.repeat(32))))), '6A83', 'record 9 of 8');
  t.equal(swHex(await host.secure(command(0x00, 0xe2, 0x00, 0x10, hex('33'.repeat(32))))), '6A84', 'linear fixed EF is full');

  for (let i = 1; i <= 16; i++) {
    t.equal(swHex(await host.secure(command(0x00, 0xe2, 0x00, 0x18, Uint8Array.of(i)))), '9000', `APPEND RECORD ${i} to SFI 3`);
  }
  t.equal(swHex(await host.secure(command(0x00, 0xe2, 0x00, 0x18, Uint8Array.of(17)))), '6A84', 'linear variable EF is full');
  t.equal(toHex((await host.secure(command(0x00, 0xb2, 0x00, 0x1c, new Uint8Array(0), 256))).data), '10', 'current record: the last appended');
  t.equal(swHex(await host.secure(command(0x00, 0xdc, 0x02, 0x1c, hex('0203')))), '9000', 'linear variable: a longer record');
  t.equal(toHex((await host.secure(command(0x00, 0xb2, 0x02, 0x1c, new Uint8Array(0), 256))).data), '0203');
  t.equal(swHex(await host.secure(command(0x00, 0xe2, 0x01, 0x18, hex('01')))), '6A86', 'APPEND RECORD P1 must be 00');
  t.equal(swHex(await host.secure(command(0x00, 0xdc, 0x02, 0x1c, hex('00'.repeat(65))))), '6700', 'longer than the maximum');
});

void t.test('the file system belongs to the ISD context', async (t) => {
  const card = await newCard();
  t.equal(swHex(await send(card, selectByAid(APP_AID))), '9000');
  t.equal(swHex(await send(card, '00A4000C023F00')), '6A82', 'the application has no files');
  t.equal(swHex(await send(card, '00B0000008')), '6D00', 'nor READ BINARY');
  t.equal(swHex(await send(card, selectIsd())), '9000');
  t.equal(swHex(await send(card, '00A4000C023F00')), '9000');
});

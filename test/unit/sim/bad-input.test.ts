/**
 * Bad input gets the status word a real card returns, and nothing is
 * written: every case compares the EEPROM image file byte for byte before
 * and after (issue 2 §7).
 */
import t from 'tap';
import { join } from 'node:path';
import { command, encodeCommand } from '../../../card/apdu.js';
import { installForPersonalization, storeDataCommands } from '../../../card/gp/index.js';
import type { SimCard } from '../../../hardware/sim/card/index.js';
import { APP_AID, hex, type SubTest, Host, newCard, persoCommands, readImage, send, swHex, tempDir } from './helpers.js';

async function cardWithImage(t: SubTest, profile = {}): Promise<{ card: SimCard; path: string }> {
  const { dir, cleanup } = tempDir();
  t.teardown(cleanup);
  const path = join(dir, 'card.json');
  return { card: await newCard({ statePath: path, profile }), path };
}

/** Sends `apdu`, checks its SW and that the image did not change. */
async function expectRefused(t: SubTest, card: SimCard, path: string, apdu: Uint8Array | string, sw: string, what: string): Promise<void> {
  const before = readImage(path);
  const r = await send(card, apdu);
  t.equal(swHex(r), sw, what);
  t.equal(r.data.length, 0, `${what}: no data`);
  t.equal(readImage(path), before, `${what}: nothing written`);
}

void t.test('malformed APDUs: 6700', async (t) => {
  const { card, path } = await cardWithImage(t);
  await expectRefused(t, card, path, '00A4', '6700', 'truncated header');
  await expectRefused(t, card, path, '', '6700', 'empty');
  await expectRefused(t, card, path, '00A4040008A0000001510000', '6700', 'Lc 8 with 6 data bytes');
  await expectRefused(t, card, path, '00A4040004A000000151000000', '6700', 'Lc 4 with 8 data bytes and more');
  await expectRefused(t, card, path, new Uint8Array(300).fill(0x11).fill(0x00, 0, 1), '6700', 'oversized (300 bytes)');
  await expectRefused(t, card, path, '80CA9F7F000000', '6700', 'extended Le: no extended length on this card');
  await expectRefused(t, card, path, '80E2000000000301' + '0102', '6700', 'extended Lc');
});

void t.test('class and instruction: 6E00, 6D00, 6881, 6882, 6884', async (t) => {
  const { card, path } = await cardWithImage(t);
  await expectRefused(t, card, path, 'FFCA9F7F00', '6E00', 'CLA FF');
  await expectRefused(t, card, path, 'A0A40000023F00', '6E00', 'CLA A0 (GSM)');
  await expectRefused(t, card, path, '20CA9F7F00', '6E00', 'CLA 20 (RFU)');
  await expectRefused(t, card, path, '80A4040008A000000151000000', '6E00', 'SELECT with a GP class');
  await expectRefused(t, card, path, '8002000000', '6D00', 'unknown INS');
  await expectRefused(t, card, path, '0060000000', '6D00', 'INS 60 (invalid, ISO 7816-3)');
  await expectRefused(t, card, path, '80E4000000', '6D00', 'DELETE is not supported');
  await expectRefused(t, card, path, '01CA9F7F00', '6881', 'logical channel 1');
  await expectRefused(t, card, path, '83CA9F7F00', '6881', 'logical channel 3, GP class');
  await expectRefused(t, card, path, '40CA9F7F00', '6881', 'further interindustry class: channel 4');
  await expectRefused(t, card, path, 'C0CA9F7F00', '6881', 'GP further class');
  await expectRefused(t, card, path, '0070000001', '6881', 'MANAGE CHANNEL open');
  await expectRefused(t, card, path, '10CA9F7F00', '6884', 'command chaining');
  await expectRefused(t, card, path, '0CCA9F7F00', '6882', 'ISO secure messaging');
  await expectRefused(t, card, path, '84CA9F7F08' + '00'.repeat(8), '6982', 'GP secure messaging without a session');
});

void t.test('a command in the wrong life cycle state: 6985', async (t) => {
  const { card, path } = await cardWithImage(t, { lifeCycle: 0x7f });
  const host = new Host(card);
  await host.authenticate(0x03);
  const install = encodeCommand(host.channel!.wrap(installForPersonalization(APP_AID)));
  await expectRefused(t, card, path, install, '6985', 'INSTALL in CARD_LOCKED');
});

void t.test('a wrong MAC: 6982, and the session is over', async (t) => {
  const { card, path } = await cardWithImage(t);
  const host = new Host(card);
  await host.authenticate(0x03);
  const [install, first] = persoCommands(0x03);
  await host.secure(install!);
  const wrapped = encodeCommand(host.channel!.wrap(first!));
  wrapped[wrapped.length - 1]! ^= 0x01;
  await expectRefused(t, card, path, wrapped, '6982', 'STORE DATA with a bad C-MAC');
  const next = encodeCommand(host.channel!.wrap(first!));
  await expectRefused(t, card, path, next, '6982', 'the next command, correctly MACed: the session is gone');
  t.same(card.inspect().apps[0]!.dgiTags, []);
});

void t.test('a replayed command: 6982', async (t) => {
  const { card, path } = await cardWithImage(t);
  const host = new Host(card);
  await host.authenticate(0x33);
  const [install, first] = persoCommands(0x33);
  await host.secure(install!);
  const wrapped = encodeCommand(host.channel!.wrap(first!));
  t.equal(swHex(await send(card, wrapped)), '9000', 'the original');
  const tags = card.inspect().apps[0]!.dgiTags;
  t.ok(tags.length > 0, 'it stored DGIs');
  await expectRefused(t, card, path, wrapped, '6982', 'the same bytes again');
  t.same(card.inspect().apps[0]!.dgiTags, tags);
});

void t.test('STORE DATA out of order: 6A86, nothing written, restart from 00 works', async (t) => {
  const { card, path } = await cardWithImage(t);
  const host = new Host(card);
  await host.authenticate(0x03);
  await host.secure(installForPersonalization(APP_AID));
  const blocks = storeDataCommands([hex('010102AAAA'), hex('010202BBBB'), hex('010302CCCC')]);
  const gap = encodeCommand(host.channel!.wrap(blocks[1]!));
  await expectRefused(t, card, path, gap, '6A86', 'block 01 first (a gap)');
  t.equal(swHex(await host.secure(blocks[0]!)), '9000', 'block 00');
  const repeat = encodeCommand(host.channel!.wrap(blocks[0]!));
  await expectRefused(t, card, path, repeat, '6A86', 'block 00 again (a repeat)');
  const skip = encodeCommand(host.channel!.wrap(blocks[2]!));
  await expectRefused(t, card, path, skip, '6A86', 'the counter was reset: block 02 is out of order too');
  t.same(card.inspect().apps[0]!.dgiTags, ['0101'], 'only the accepted block');
  for (const b of blocks) t.equal(swHex(await host.secure(b)), '9000', 'again from block 00');
  t.same(card.inspect().apps[0]!.dgiTags, ['0101', '0102', '0103']);
  t.equal(card.inspect().apps[0]!.lifeCycleName, 'PERSONALIZED');
});

void t.test('STORE DATA with an RFU P1: 6A86', async (t) => {
  const { card, path } = await cardWithImage(t);
  const host = new Host(card);
  await host.authenticate(0x03);
  await host.secure(installForPersonalization(APP_AID));
  const rfu = encodeCommand(host.channel!.wrap(command(0x80, 0xe2, 0x40, 0x00, hex('010102AAAA'))));
  await expectRefused(t, card, path, rfu, '6A86', 'P1 b7b6 = 10');
});

void t.test('unwrapped command inside a session aborts it (GPC v2.3.1 §10.2.3)', async (t) => {
  const { card, path } = await cardWithImage(t);
  const host = new Host(card);
  await host.authenticate(0x01);
  await expectRefused(t, card, path, '80CA006600', '6982', 'GET DATA without its C-MAC');
  await expectRefused(t, card, path, encodeCommand(host.channel!.wrap(command(0x80, 0xca, 0x00, 0x66, new Uint8Array(0), 256))), '6982', 'the session is gone');
  t.equal(swHex(await send(card, '80CA006600')), '9000', 'plain GET DATA outside a session');
});

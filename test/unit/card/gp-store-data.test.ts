import t from 'tap';
import { encodeCommand } from '../../../card/apdu.js';
import { hex, toHex } from '../../../card/bytes.js';
import { DgiStreamParser, encodeDgi } from '../../../card/dgi.js';
import {
  MAX_STORE_DATA_BLOCKS,
  maxPlaintextPerBlock,
  packDgis,
  parseStoreDataP1,
  StoreDataSequence,
  storeDataBlocks,
  storeDataCommands,
} from '../../../card/gp/store-data.js';
import { HostSecureChannel } from '../../../card/scp03/index.js';
import { AID, SL03, staticKeys } from './fixtures/scp03-vectors.js';

function filled(n: number, seed = 0): Uint8Array {
  return Uint8Array.from({ length: n }, (_, i) => (i + seed) & 0xff);
}

void t.test('the pySim STORE DATA: P1 91 (last, BER-TLV, response expected), Le 00', (t) => {
  t.equal(toHex(encodeCommand(storeDataBlocks(hex('BF3E035C015A'), { p1Format: 0x11 })[0]!)), '80E2910006BF3E035C015A00');
  t.end();
});

void t.test('600 bytes over 3 blocks: numbering 00..02, last-block bit on the last only, no Le', (t) => {
  const cmds = storeDataBlocks(filled(600));
  t.equal(cmds.length, 3);
  t.same(
    cmds.map((c) => [c.p1, c.p2, c.data.length, c.ne]),
    [
      [0x00, 0, 255, undefined],
      [0x00, 1, 255, undefined],
      [0x80, 2, 90, undefined],
    ],
  );
  t.equal(toHex(encodeCommand(cmds[2]!)).slice(0, 10), '80E280025A');
  const enc = storeDataBlocks(filled(600), { p1Format: 'encrypted' });
  t.same(enc.map((c) => c.p1), [0x60, 0x60, 0xe0]);
  const gp = storeDataBlocks(filled(10), { p1Format: 'dgi-encrypted' });
  t.same(gp.map((c) => c.p1), [0xe8]);
  t.same(storeDataBlocks(filled(10), { p1Format: 0xe8, last: false }).map((c) => c.p1), [0x68], 'b8 of a raw P1 is ignored');
  t.same(storeDataBlocks(filled(300), { maxBlock: 100, firstBlock: 7 }).map((c) => [c.p2, c.data.length]), [
    [7, 100],
    [8, 100],
    [9, 100],
  ]);
  t.end();
});

void t.test('a 600-byte DGI spans 3 commands and reassembles on the card', (t) => {
  const dgi = { tag: 0x0101, value: filled(600, 7) };
  const blocks = packDgis([encodeDgi(dgi)]);
  t.same(blocks.map((b) => b.length), [255, 255, 95]);
  t.equal(toHex(blocks[0]!.subarray(0, 5)), '0101FF0258', 'the length field gives the full length');
  const cmds = storeDataCommands(blocks);
  t.same(cmds.map((c) => c.p1), [0x00, 0x00, 0x80]);
  const parser = new DgiStreamParser();
  const got = cmds.flatMap((c) => parser.push(c.data));
  parser.finish();
  t.same(got, [dgi]);
  t.end();
});

void t.test('packDgis fills blocks but never splits a DGI header', (t) => {
  const a = encodeDgi({ tag: 0x0101, value: filled(250) }); // 253 bytes
  const b = encodeDgi({ tag: 0x0102, value: filled(10) }); // 13 bytes: its header does not fit in 2
  t.same(packDgis([a, b]).map((x) => x.length), [253, 13]);
  const c = encodeDgi({ tag: 0x0103, value: filled(248) }); // 251 bytes, 4 left
  const d = encodeDgi({ tag: 0x0104, value: filled(300) }); // FF form: 5-byte header
  const packed = packDgis([c, d]);
  t.same(packed.map((x) => x.length), [251, 255, 50]);
  t.equal(toHex(packed[1]!.subarray(0, 5)), '0104FF012C');
  const e = encodeDgi({ tag: 0x0105, value: filled(1) }); // 4 bytes fit in 4
  t.same(packDgis([c, e]).map((x) => x.length), [255]);
  t.throws(() => packDgis([a], 4), { code: 'ARGUMENT_INVALID' });
  t.throws(() => packDgis([hex('0101')]), { code: 'ARGUMENT_INVALID' });
  t.end();
});

void t.test('the 256-block limit', (t) => {
  t.equal(storeDataBlocks(filled(MAX_STORE_DATA_BLOCKS * 255)).length, 256);
  t.equal(storeDataBlocks(filled(MAX_STORE_DATA_BLOCKS * 255)).at(-1)!.p2, 0xff);
  t.throws(() => storeDataBlocks(filled(MAX_STORE_DATA_BLOCKS * 255 + 1)), { code: 'ARGUMENT_INVALID' });
  t.throws(() => storeDataBlocks(filled(57 * 255), { firstBlock: 200 }), { code: 'ARGUMENT_INVALID' });
  t.throws(() => storeDataBlocks(new Uint8Array(0)), { code: 'ARGUMENT_INVALID' });
  for (const maxBlock of [0, 256, 1.5]) t.throws(() => storeDataBlocks(filled(10), { maxBlock }), { code: 'ARGUMENT_INVALID' });
  t.throws(() => storeDataCommands([new Uint8Array(0)]), { code: 'ARGUMENT_INVALID' });
  t.throws(() => storeDataBlocks(filled(10), { firstBlock: 256 }), { code: 'ARGUMENT_INVALID' });
  t.end();
});

void t.test('plaintext room per security level', (t) => {
  t.equal(maxPlaintextPerBlock(0x00), 255);
  t.equal(maxPlaintextPerBlock(0x01), 247);
  t.equal(maxPlaintextPerBlock(0x11), 247);
  t.equal(maxPlaintextPerBlock(0x03), 239);
  t.equal(maxPlaintextPerBlock(0x13), 239);
  t.equal(maxPlaintextPerBlock(0x33), 239);
  t.end();
});

void t.test('239 bytes under C-DEC still fit a short APDU; 240 do not', (t) => {
  const ch = HostSecureChannel.open({
    keys: staticKeys(),
    hostChallenge: hex(SL03.hostChallenge),
    initUpdateResponse: hex(SL03.response),
    securityLevel: 0x03,
    aid: hex(AID),
  });
  ch.externalAuthenticate();
  const fits = ch.wrap(storeDataBlocks(filled(maxPlaintextPerBlock(0x03)))[0]!);
  t.equal(fits.data.length, 248);
  t.equal(encodeCommand(fits).length, 5 + 248);
  const over = ch.wrap(storeDataBlocks(filled(240))[0]!);
  t.equal(over.data.length, 264, 'would need an extended Lc');
  t.end();
});

void t.test('card side: parseStoreDataP1 accepts both conventions', (t) => {
  t.same(parseStoreDataP1(0x00), { last: false, encryption: 'none', format: 'none', responseExpected: false });
  t.same(parseStoreDataP1(0xe0), { last: true, encryption: 'all', format: 'none', responseExpected: false });
  t.same(parseStoreDataP1(0x68), { last: false, encryption: 'all', format: 'dgi', responseExpected: false });
  t.same(parseStoreDataP1(0x88), { last: true, encryption: 'none', format: 'dgi', responseExpected: false });
  t.same(parseStoreDataP1(0x20), { last: false, encryption: 'app', format: 'none', responseExpected: false });
  t.same(parseStoreDataP1(0x91), { last: true, encryption: 'none', format: 'ber-tlv', responseExpected: true });
  t.same(parseStoreDataP1(0x06), parseStoreDataP1(0x00), 'RFU bits b3b2 ignored');
  for (const p1 of [0x40, 0xc0, 0x18, 0x78]) t.throws(() => parseStoreDataP1(p1), { code: 'P1P2_INVALID' }, p1.toString(16));
  t.end();
});

void t.test('card side: StoreDataSequence enforces 00, 01, ... and resets', (t) => {
  const seq = new StoreDataSequence();
  t.equal(seq.accept(0x00, 0).last, false);
  t.equal(seq.accept(0x60, 1).encryption, 'all');
  t.equal(seq.accept(0x80, 2).last, true);
  t.equal(seq.next, 0, 'reset after the last block');
  seq.accept(0x00, 0);
  t.throws(() => seq.accept(0x00, 2), { code: 'P1P2_INVALID' }, 'block skipped');
  t.equal(seq.next, 0, 'reset after an error');
  t.throws(() => seq.accept(0x00, 1), { code: 'P1P2_INVALID' }, 'replayed from the middle');
  t.throws(() => seq.accept(0x40, 0), { code: 'P1P2_INVALID' }, 'RFU P1 resets too');
  seq.accept(0x00, 0);
  seq.reset();
  t.equal(seq.next, 0);
  for (let i = 0; i < 0xff; i++) seq.accept(0x00, i);
  t.throws(() => seq.accept(0x00, 0xff), { code: 'P1P2_INVALID' }, 'block FF must be the last');
  for (let i = 0; i < 0xff; i++) seq.accept(0x00, i);
  t.equal(seq.accept(0x80, 0xff).last, true);
  t.end();
});

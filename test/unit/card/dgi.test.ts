// DGIs, GPC v2.3.1 §11.1.12 / EMV CPS: short and long lengths, a stream split
// at every offset (STORE DATA blocks), malformed input and the secret rule.
import t from 'tap';
import { concat, hex, toHex } from '../../../card/bytes.js';
import {
  DgiStreamParser,
  encodeDgi,
  encodeDgis,
  isSecretDgiTag,
  parseDgis,
  type Dgi,
} from '../../../card/dgi.js';

const fill = (n: number, seed = 1): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed) & 0xff);
const show = (list: readonly Dgi[]): string[] => list.map((d) => `${d.tag.toString(16).padStart(4, '0')}:${toHex(d.value)}`);

// A personalization script's DGIs: a record, a 300-byte record (long length),
// a select response, an empty DGI, and a key DGI.
const LIST: readonly Dgi[] = [
  { tag: 0x0101, value: hex('70035A0112') },
  { tag: 0x0202, value: fill(300) },
  { tag: 0x9102, value: hex('A5038801FF') },
  { tag: 0x9103, value: new Uint8Array(0) },
  { tag: 0x8000, value: fill(16, 7) },
];
const LIST_BYTES = encodeDgis(LIST);

void t.test('encodeDgi: 1-byte length up to 254, FF hh ll beyond', (t) => {
  t.equal(toHex(encodeDgi({ tag: 0x0101, value: hex('AABBCC') })), '010103AABBCC');
  t.equal(toHex(encodeDgi({ tag: 0x9103, value: new Uint8Array(0) })), '910300');
  const e254 = encodeDgi({ tag: 0x0202, value: fill(254) });
  t.equal(toHex(e254.subarray(0, 3)), '0202FE', '254 is the largest 1-byte length');
  t.equal(e254.length, 3 + 254);
  const e255 = encodeDgi({ tag: 0x0202, value: fill(255) });
  t.equal(toHex(e255.subarray(0, 5)), '0202FF00FF', '255 needs FF 00 FF');
  t.equal(e255.length, 5 + 255);
  const max = encodeDgi({ tag: 0x8201, value: fill(0xffff) });
  t.equal(toHex(max.subarray(0, 5)), '8201FFFFFF');
  t.equal(max.length, 5 + 0xffff);
  t.equal(toHex(encodeDgi({ tag: 0x0000, value: hex('01') })), '00000101', 'tag 0000');
  t.equal(toHex(encodeDgi({ tag: 0xffff, value: hex('01') })), 'FFFF0101', 'tag FFFF');
  t.end();
});

void t.test('encodeDgi refuses out-of-range tags and values', (t) => {
  t.throws(() => encodeDgi({ tag: 0x10000, value: hex('00') }), { code: 'ARGUMENT_INVALID' });
  t.throws(() => encodeDgi({ tag: -1, value: hex('00') }), { code: 'ARGUMENT_INVALID' });
  t.throws(() => encodeDgi({ tag: 1.5, value: hex('00') }), { code: 'ARGUMENT_INVALID' });
  t.throws(() => encodeDgi({ tag: 0x0101, value: new Uint8Array(0x10000) }), { code: 'ARGUMENT_INVALID', message: /DGI 0101: value of 65536 bytes/ });
  t.end();
});

void t.test('parseDgis: fixtures and round trip', (t) => {
  const list = parseDgis(hex('010103AABBCC 910300 8010 08 2412345FFFFFFFFF'));
  t.same(show(list), ['0101:AABBCC', '9103:', '8010:2412345FFFFFFFFF']);
  t.same(parseDgis(new Uint8Array(0)), []);
  t.same(show(parseDgis(LIST_BYTES)), show(LIST));
  t.equal(toHex(encodeDgis(parseDgis(LIST_BYTES))), toHex(LIST_BYTES));
  t.equal(toHex(LIST_BYTES.subarray(8, 13)), '0202FF012C', 'the 300-byte DGI has a 3-byte length');
  t.end();
});

void t.test('parseDgis accepts a non-minimal FF 00 xx length', (t) => {
  const list = parseDgis(hex('0101FF0002AABB'));
  t.same(show(list), ['0101:AABB']);
  t.equal(toHex(encodeDgis(list)), '010102AABB', 're-encoded minimally');
  t.same(show(parseDgis(hex('0101FF0000'))), ['0101:']);
  t.end();
});

void t.test('parseDgis: malformed input names the defect', (t) => {
  const bad: readonly [string, string, RegExp][] = [
    ['one byte', '01', /truncated tag \(1 of 2 bytes\)/],
    ['tag only', '0101', /DGI 0101: truncated length \(0 of 1 bytes\)/],
    ['FF without hh ll', '0101FF', /DGI 0101: truncated length \(1 of 3 bytes\)/],
    ['FF hh without ll', '0101FF01', /DGI 0101: truncated length \(2 of 3 bytes\)/],
    ['value short', '010105AABB', /DGI 0101: length 5 beyond data \(2 bytes present\)/],
    ['long value short', '0202FF0100AABB', /DGI 0202: length 256 beyond data \(2 bytes present\)/],
    ['second DGI truncated', '010101AA 8000', /DGI 8000: truncated length/],
    ['trailing byte', '010101AA 00', /truncated tag/],
  ];
  for (const [name, input, message] of bad) {
    t.throws(() => parseDgis(hex(input)), { code: 'DGI_MALFORMED', message }, name);
  }
  t.end();
});

void t.test('malformed messages carry no value bytes', (t) => {
  try {
    parseDgis(hex('8010 08 2412345F'));
    t.fail('should throw');
  } catch (e) {
    t.notMatch((e as Error).message, /2412345/);
    t.match((e as Error).message, /DGI 8010: length 8 beyond data \(4 bytes present\)/);
  }
  t.end();
});

void t.test('DgiStreamParser: split into two chunks at every offset', (t) => {
  const want = show(LIST).join();
  const failed: number[] = [];
  for (let cut = 0; cut <= LIST_BYTES.length; cut++) {
    const p = new DgiStreamParser();
    const got = [...p.push(LIST_BYTES.subarray(0, cut)), ...p.push(LIST_BYTES.subarray(cut))];
    p.finish();
    if (show(got).join() !== want) failed.push(cut);
  }
  t.same(failed, [], `all ${LIST_BYTES.length + 1} split points`);
  t.end();
});

void t.test('DgiStreamParser: three chunks at every pair of offsets around the headers', (t) => {
  // Every pair of cuts within the first 40 bytes (first two headers and values).
  const want = show(LIST).join();
  const failed: string[] = [];
  let count = 0;
  for (let a = 0; a <= 40; a++) {
    for (let b = a; b <= 40; b++) {
      const p = new DgiStreamParser();
      const got = [...p.push(LIST_BYTES.subarray(0, a)), ...p.push(LIST_BYTES.subarray(a, b)), ...p.push(LIST_BYTES.subarray(b))];
      p.finish();
      if (show(got).join() !== want) failed.push(`${a},${b}`);
      count++;
    }
  }
  t.same(failed, [], `${count} pairs of cuts`);
  t.end();
});

void t.test('DgiStreamParser: one byte at a time', (t) => {
  const p = new DgiStreamParser();
  const got: Dgi[] = [];
  const completedAt: number[] = [];
  for (let i = 0; i < LIST_BYTES.length; i++) {
    const done = p.push(LIST_BYTES.subarray(i, i + 1));
    if (done.length > 0) completedAt.push(i);
    got.push(...done);
  }
  p.finish();
  t.same(show(got), show(LIST));
  // Each DGI completes on its last byte: 0101 (8 bytes), 0202 (305), 9102 (8), 9103 (3), 8000 (19).
  t.same(completedAt, [7, 312, 320, 323, 342]);
  t.end();
});

void t.test('DgiStreamParser: 255-byte STORE DATA blocks', (t) => {
  const big: Dgi[] = [
    { tag: 0x0101, value: fill(1000) },
    { tag: 0x0102, value: fill(254) },
    { tag: 0x8201, value: fill(0xffff, 9) },
  ];
  const bytes = encodeDgis(big);
  const p = new DgiStreamParser();
  const got: Dgi[] = [];
  for (let off = 0; off < bytes.length; off += 255) got.push(...p.push(bytes.subarray(off, off + 255)));
  p.finish();
  t.same(show(got), show(big));
  t.end();
});

void t.test('DgiStreamParser: pending, finish, reset', (t) => {
  const p = new DgiStreamParser();
  t.equal(p.pending, 0);
  t.same(p.push(hex('0101')), []);
  t.equal(p.pending, 2, 'tag buffered');
  t.same(p.push(hex('05AABB')), []);
  t.equal(p.pending, 5, 'header and 2 value bytes');
  t.throws(() => p.finish(), { code: 'DGI_MALFORMED', message: /DGI 0101: length 5 beyond data \(2 bytes present\)/ });
  t.equal(p.pending, 0, 'finish resets after throwing');
  t.doesNotThrow(() => p.finish(), 'and a second finish is clean');
  // The parser is reusable after finish.
  t.same(show(p.push(hex('020201CC'))), ['0202:CC']);
  p.finish();
  // reset discards a partial DGI.
  p.push(hex('8000 10 0102'));
  p.reset();
  t.equal(p.pending, 0);
  t.same(show(p.push(hex('910300'))), ['9103:']);
  t.doesNotThrow(() => p.finish());
  t.same(p.push(new Uint8Array(0)), [], 'empty chunk');
  t.end();
});

void t.test('DgiStreamParser copies chunks: callers may reuse their buffers', (t) => {
  const p = new DgiStreamParser();
  const block1 = hex('010104AABB');
  const block2 = hex('CCDD');
  p.push(block1);
  block1.fill(0);
  const [d] = p.push(block2);
  block2.fill(0);
  t.equal(toHex(d!.value), 'AABBCCDD');
  const single = hex('010102EEFF');
  const [s] = p.push(single);
  single.fill(0);
  t.equal(toHex(s!.value), 'EEFF');
  t.end();
});

void t.test('isSecretDgiTag: EMV CPS 8000..8FFF, plus a caller-supplied set', (t) => {
  for (const tag of [0x8000, 0x8001, 0x8010, 0x8101, 0x8201, 0x8fff]) t.ok(isSecretDgiTag(tag), tag.toString(16));
  for (const tag of [0x0101, 0x7fff, 0x9000, 0x9010, 0x9102, 0x9103, 0xa001]) t.notOk(isSecretDgiTag(tag), tag.toString(16));
  const extra = new Set([0xa001, 0x9f00]);
  t.ok(isSecretDgiTag(0xa001, extra), 'added by the profile');
  t.ok(isSecretDgiTag(0x8010, extra), 'the range stays secret with a set given');
  t.notOk(isSecretDgiTag(0x0101, extra));
  t.end();
});

void t.test('encodeDgis of many DGIs concatenates', (t) => {
  const bytes = encodeDgis([
    { tag: 0x0101, value: hex('AA') },
    { tag: 0x0102, value: hex('BB') },
  ]);
  t.equal(toHex(bytes), '010101AA010201BB');
  t.equal(encodeDgis([]).length, 0);
  t.equal(toHex(concat(encodeDgi({ tag: 1, value: hex('01') }))), '00010101');
  t.end();
});

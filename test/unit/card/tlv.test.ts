// BER-TLV, ISO 7816-4 §5.2.2 / ISO 8825-1 §8.1: fixtures from GlobalPlatform
// GET DATA responses, multi-byte tags, long lengths, and every malformed form.
import t from 'tap';
import { concat, hex, toHex } from '../../../card/bytes.js';
import {
  encodeLength,
  encodeTlv,
  encodeTlvTree,
  findTag,
  parseTlv,
  tagHex,
  tagIsConstructed,
  tagToBytes,
  type Tlv,
} from '../../../card/tlv.js';

const fill = (n: number): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (i * 13 + 5) & 0xff);

// GET DATA 9F7F: CPLC, 42 bytes (IC fabricator 4790, IC type 5167, ...), a primitive object under a 2-byte tag.
const CPLC_VALUE = hex('4790 5167 4791 8112 0000 0000 0000 0000 0000 0000 0000 0000 0000 0000 0000 0000 0000 0000 0000 0000 0000');
const CPLC = concat(hex('9F7F2A'), CPLC_VALUE);

// GET DATA 66: card data (GPC v2.3.1 §H.2). 66 { 73 { 06 OID, 60 { 06 GP 2.3.1 }, 63 { 06 }, 64 { 06 SCP03 i=70 } } }.
const CARD_DATA = hex(
  '6631 732F' +
    '06072A864886FC6B01' +
    '600C 060A2A864886FC6B02020301' +
    '6309 06072A864886FC6B03' +
    '640B 06092A864886FC6B040370',
);

void t.test('CPLC 9F7F: a primitive object under a two-byte tag', (t) => {
  const list = parseTlv(CPLC);
  t.equal(list.length, 1);
  const cplc = list[0]!;
  t.equal(cplc.tag, 0x9f7f);
  t.equal(cplc.constructed, false);
  t.equal(cplc.value.length, 42);
  t.equal(toHex(cplc.value.subarray(0, 4)), '47905167');
  t.equal(cplc.children, undefined, 'primitive objects never have children');
  t.equal(toHex(encodeTlv(0x9f7f, cplc.value)), toHex(CPLC), 're-encodes byte for byte');
  t.end();
});

void t.test('card data 66: nested constructed objects', (t) => {
  const list = parseTlv(CARD_DATA);
  t.equal(list.length, 1);
  const cd = list[0]!;
  t.equal(cd.tag, 0x66);
  t.equal(cd.constructed, true);
  t.equal(cd.value.length, 0x31);
  t.equal(cd.children?.length, 1);
  const rec = cd.children![0]!;
  t.equal(rec.tag, 0x73);
  t.same(
    rec.children!.map((c) => [c.tag, c.constructed]),
    [
      [0x06, false],
      [0x60, true],
      [0x63, true],
      [0x64, true],
    ],
  );
  const scp = findTag(list, 0x64);
  t.equal(toHex(scp!.children![0]!.value), '2A864886FC6B040370', 'SCP03, i=70');
  t.equal(findTag(list, 0x06)?.value.length, 7, 'depth-first: the first 06 is the one directly under 73');
  t.equal(findTag(list, 0x9f7f), undefined);
  t.equal(toHex(encodeTlvTree(list)), toHex(CARD_DATA), 'tree round trip');
  t.end();
});

void t.test('non-recursive parse leaves constructed values unparsed', (t) => {
  const list = parseTlv(CARD_DATA, { recursive: false });
  t.equal(list[0]!.children, undefined);
  t.equal(list[0]!.constructed, true);
  t.equal(toHex(list[0]!.value), toHex(CARD_DATA.subarray(2)));
  t.equal(findTag(list, 0x73), undefined, 'findTag only sees parsed children');
  // A constructed tag whose value is not TLV is fine when not recursing.
  t.equal(parseTlv(hex('7003FFFFFF'), { recursive: false })[0]!.value.length, 3);
  t.throws(() => parseTlv(hex('700101')), { code: 'TLV_MALFORMED' }, 'but malformed when recursing');
  t.end();
});

void t.test('findTag searches depth-first in document order', (t) => {
  // 70 { 71 { 5A 01 } } 5A 02: the nested 5A comes first.
  const list = parseTlv(hex('7005 7103 5A0101 5A0102'));
  t.equal(toHex(findTag(list, 0x5a)!.value), '01');
  t.equal(findTag([], 0x5a), undefined);
  t.end();
});

void t.test('multi-byte tags', (t) => {
  const list = parseTlv(hex('5F2003414243 BF0C05 9F4D020B0A DF810101FF 9F0201AA'));
  t.same(
    list.map((x) => [tagHex(x.tag), x.constructed]),
    [
      ['5F20', false],
      ['BF0C', true],
      ['DF8101', false],
      ['9F02', false],
    ],
  );
  t.equal(toHex(findTag(list, 0x9f4d)!.value), '0B0A', 'child of BF0C');
  t.equal(toHex(list[2]!.value), 'FF');
  t.equal(list[3]!.tag, 0x9f02, 'EMV subsequent byte below 1F is accepted');
  t.equal(toHex(encodeTlvTree(list)), '5F2003414243BF0C059F4D020B0ADF810101FF9F0201AA');
  // FF is a private, constructed, multi-byte tag when padding is off.
  const ff = parseTlv(hex('FF0100'));
  t.equal(ff[0]!.tag, 0xff01);
  t.same(ff[0]!.children, []);
  t.end();
});

void t.test('long length forms 81, 82, 83', (t) => {
  const v128 = fill(0x80);
  const l81 = concat(hex('5A8180'), v128);
  t.equal(parseTlv(l81)[0]!.value.length, 128);
  t.equal(toHex(encodeTlv(0x5a, v128)), toHex(l81));
  const v256 = fill(0x100);
  const l82 = concat(hex('DF810182 0100'), v256);
  t.equal(parseTlv(l82)[0]!.value.length, 256);
  t.equal(toHex(encodeTlv(0xdf8101, v256)), toHex(l82));
  const v64k = fill(0x10000);
  const l83 = concat(hex('5A83010000'), v64k);
  const p = parseTlv(l83)[0]!;
  t.equal(p.value.length, 0x10000);
  t.equal(toHex(encodeTlv(0x5a, v64k).subarray(0, 5)), '5A83010000');
  t.end();
});

void t.test('non-minimal lengths are accepted and re-encoded minimally', (t) => {
  const a = parseTlv(hex('5A8102AABB'));
  t.equal(toHex(a[0]!.value), 'AABB');
  t.equal(toHex(encodeTlvTree(a)), '5A02AABB');
  t.equal(toHex(parseTlv(hex('5A820001CC'))[0]!.value), 'CC');
  t.equal(parseTlv(hex('5A83000000'))[0]!.value.length, 0);
  t.end();
});

void t.test('empty input, empty values', (t) => {
  t.same(parseTlv(new Uint8Array(0)), []);
  const e = parseTlv(hex('5A00 7000'));
  t.equal(e[0]!.value.length, 0);
  t.same(e[1]!.children, [], 'an empty constructed object has no children');
  t.end();
});

void t.test('malformed input: specific messages and offsets', (t) => {
  const bad: readonly [string, string, RegExp][] = [
    ['tag byte 00', '00', /invalid tag byte 00 at offset 0/],
    ['00 after a good object', '5A0101 00', /invalid tag byte 00 at offset 3/],
    ['truncated tag', '9F', /truncated tag at offset 0/],
    ['truncated 3-byte tag', 'DF81', /truncated tag at offset 0/],
    ['tag over 3 bytes', 'DF81810100', /longer than 3 bytes/],
    ['first subsequent tag byte 80', '9F8001', /first subsequent byte 80/],
    ['missing length', '5A', /tag 5A: truncated length at offset 1/],
    ['missing length after 2-byte tag', '9F7F', /tag 9F7F: truncated length at offset 2/],
    ['truncated 81 length', '5A81', /truncated length/],
    ['truncated 82 length', '9F7F8201', /tag 9F7F: truncated length at offset 2/],
    ['truncated 83 length', '5A830100', /truncated length/],
    ['indefinite length', '708000', /indefinite length \(80\)/],
    ['84 length', '5A8400000001AA', /length field of 5 bytes/],
    ['FF length', '5AFF', /length field of 128 bytes/],
    ['length beyond data', '5A0501', /tag 5A at offset 0: length 5 beyond data \(1 bytes left\)/],
    ['huge claimed length', '5A83FFFFFF0102', /length 16777215 beyond data \(2 bytes left\)/],
    ['child beyond its parent', '7003 5A0501', /tag 5A at offset 2: length 5 beyond data \(1 bytes left\)/],
    ['child overruns into the next object', '7002 5A02 AABB', /length 2 beyond data \(0 bytes left\)/],
  ];
  for (const [name, input, message] of bad) {
    t.throws(() => parseTlv(hex(input)), { code: 'TLV_MALFORMED', message }, name);
  }
  t.end();
});

/** `levels` nested constructed objects (tag 70) around one primitive 5A01AA. */
function nested(levels: number): Uint8Array {
  let inner = hex('5A01AA');
  for (let i = 0; i < levels; i++) inner = encodeTlv(0x70, inner);
  return inner;
}

void t.test('nesting depth is bounded (default 16)', (t) => {
  // 15 constructed levels + the primitive = 16 levels of objects: allowed.
  const ok = parseTlv(nested(15));
  t.equal(findTag(ok, 0x5a)?.value[0], 0xaa);
  t.throws(() => parseTlv(nested(16)), { code: 'TLV_MALFORMED', message: /nesting depth exceeds 16/ });
  t.throws(() => parseTlv(nested(3), { maxDepth: 3 }), { code: 'TLV_MALFORMED', message: /exceeds 3/ });
  t.equal(parseTlv(nested(2), { maxDepth: 3 }).length, 1);
  t.equal(parseTlv(nested(100), { recursive: false }).length, 1, 'no depth limit without recursion');
  t.throws(() => parseTlv(nested(1000), { maxDepth: 64 }), { code: 'TLV_MALFORMED', message: /exceeds 64/ });
  for (const maxDepth of [0, 65, 1.5, -1]) {
    t.throws(() => parseTlv(hex('5A00'), { maxDepth }), { code: 'ARGUMENT_INVALID' }, `maxDepth ${maxDepth}`);
  }
  t.end();
});

void t.test('padding 00/FF only with { padding: true }', (t) => {
  const padded = hex('00 5A0111 FFFF 9F0201AA 00 7004 00 5A0122 00FF');
  t.throws(() => parseTlv(padded), { code: 'TLV_MALFORMED', message: /tag byte 00/ });
  const list = parseTlv(padded, { padding: true });
  t.same(
    list.map((x) => tagHex(x.tag)),
    ['5A', '9F02', '70'],
  );
  t.equal(toHex(list[2]!.children![0]!.value), '22', 'padding skipped inside constructed values too');
  t.same(parseTlv(hex('00FF00FF'), { padding: true }), [], 'padding only');
  t.equal(toHex(encodeTlvTree(list)), '5A01119F0201AA70035A0122', 're-encoding drops the padding');
  t.end();
});

void t.test('parsed values are copies', (t) => {
  const bytes = hex('7003 5A01AA');
  const list = parseTlv(bytes);
  bytes.fill(0);
  t.equal(toHex(list[0]!.value), '5A01AA');
  t.equal(toHex(list[0]!.children![0]!.value), 'AA');
  t.end();
});

void t.test('encodeLength boundaries', (t) => {
  const cases: readonly [number, string][] = [
    [0, '00'],
    [0x7f, '7F'],
    [0x80, '8180'],
    [0xff, '81FF'],
    [0x100, '820100'],
    [0xffff, '82FFFF'],
    [0x10000, '83010000'],
    [0xffffff, '83FFFFFF'],
  ];
  for (const [n, want] of cases) t.equal(toHex(encodeLength(n)), want, `length ${n}`);
  for (const n of [-1, 0x1000000, 1.5]) t.throws(() => encodeLength(n), { code: 'ARGUMENT_INVALID' }, `length ${n}`);
  t.end();
});

void t.test('tag helpers', (t) => {
  t.equal(toHex(tagToBytes(0x5a)), '5A');
  t.equal(toHex(tagToBytes(0x9f7f)), '9F7F');
  t.equal(toHex(tagToBytes(0xdf8101)), 'DF8101');
  t.equal(toHex(tagToBytes(0xff01)), 'FF01');
  t.ok(tagIsConstructed(0x66));
  t.ok(tagIsConstructed(0xbf0c));
  t.ok(tagIsConstructed(0xe3));
  t.notOk(tagIsConstructed(0x9f7f));
  t.notOk(tagIsConstructed(0x4f));
  t.equal(tagHex(0x5a), '5A');
  t.equal(tagHex(0x1), '01');
  t.equal(tagHex(0xdf8101), 'DF8101');
  const invalid: readonly [number, string][] = [
    [0, 'zero'],
    [0x1f, 'one byte with b5..b1 all set'],
    [0x9f, 'one byte with b5..b1 all set'],
    [0x5a01, 'two bytes without the 1F marker'],
    [0x9f81, 'last byte with b8 set'],
    [0x9f8001, 'first subsequent byte 80'],
    [0xdf0101, 'middle byte without b8'],
    [0x1000000, 'four bytes'],
    [-1, 'negative'],
    [1.5, 'not an integer'],
  ];
  for (const [tag, why] of invalid) t.throws(() => tagToBytes(tag), { code: 'ARGUMENT_INVALID' }, why);
  t.end();
});

void t.test('encodeTlvTree builds from children and checks consistency', (t) => {
  const tree: Tlv = {
    tag: 0xe3,
    constructed: true,
    value: new Uint8Array(0),
    children: [
      { tag: 0x4f, constructed: false, value: hex('A000000151000000') },
      { tag: 0x9f70, constructed: false, value: hex('07') },
    ],
  };
  t.equal(toHex(encodeTlvTree(tree)), 'E30E4F08A0000001510000009F700107');
  t.equal(toHex(encodeTlvTree({ tag: 0x70, constructed: true, value: hex('5A0101') })), '70035A0101', 'value used without children');
  t.equal(toHex(encodeTlvTree([])), '');
  t.throws(() => encodeTlvTree({ tag: 0x5a, constructed: true, value: hex('00') }), { code: 'ARGUMENT_INVALID', message: /constructed flag/ });
  t.throws(() => encodeTlvTree({ tag: 0x70, constructed: false, value: hex('00') }), { code: 'ARGUMENT_INVALID' });
  t.throws(() => encodeTlvTree({ tag: 0x5a, constructed: false, value: hex('00'), children: [] }), { code: 'ARGUMENT_INVALID', message: /cannot have children/ });
  t.throws(() => encodeTlv(0x5a, new Uint8Array(0x1000000)), { code: 'ARGUMENT_INVALID' });
  t.end();
});

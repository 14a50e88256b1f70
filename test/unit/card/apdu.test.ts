// Command and response APDUs, ISO 7816-4 §5.1: every case, short and
// extended, against fixed byte fixtures, plus every malformed form.
import t from 'tap';
import {
  command,
  encodeCommand,
  encodeResponse,
  parseCommand,
  parseResponse,
  type CommandApdu,
  type ParsedCommandApdu,
} from '../../../card/apdu.js';
import { hex, toHex } from '../../../card/bytes.js';
import { CardError } from '../../../card/errors.js';

const fill = (n: number, seed = 0): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (i * 7 + seed) & 0xff);

interface Fixture {
  readonly name: string;
  readonly bytes: Uint8Array;
  readonly want: Omit<ParsedCommandApdu, 'data'> & { readonly dataHex: string };
}

const data256 = fill(256);
const data300 = fill(300, 3);

// Annotated fixtures; the first five are from the pySim SCP03 vectors.
const FIXTURES: readonly Fixture[] = [
  {
    name: 'case 1: GET STATUS header only',
    bytes: hex('80F22002'),
    want: { cla: 0x80, ins: 0xf2, p1: 0x20, p2: 0x02, dataHex: '', ne: undefined, case: 1, extended: false },
  },
  {
    name: 'case 2S: GET DATA 0066 with Le 00 means Ne 256',
    bytes: hex('80CA006600'),
    want: { cla: 0x80, ins: 0xca, p1: 0x00, p2: 0x66, dataHex: '', ne: 256, case: 2, extended: false },
  },
  {
    name: 'case 2S: Le 10',
    bytes: hex('00C0000010'),
    want: { cla: 0x00, ins: 0xc0, p1: 0, p2: 0, dataHex: '', ne: 16, case: 2, extended: false },
  },
  {
    name: 'case 3S: GET STATUS with a 10-byte filter',
    bytes: hex('80F220020A4F0212345C054F9F70C5'),
    want: { cla: 0x80, ins: 0xf2, p1: 0x20, p2: 0x02, dataHex: '4F0212345C054F9F70C5', ne: undefined, case: 3, extended: false },
  },
  {
    name: 'case 4S: STORE DATA with Le 00',
    bytes: hex('80E2910006BF3E035C015A00'),
    want: { cla: 0x80, ins: 0xe2, p1: 0x91, p2: 0x00, dataHex: 'BF3E035C015A', ne: 256, case: 4, extended: false },
  },
  {
    name: 'case 4S: Le 01',
    bytes: hex('80F28002024F0001'),
    want: { cla: 0x80, ins: 0xf2, p1: 0x80, p2: 0x02, dataHex: '4F00', ne: 1, case: 4, extended: false },
  },
  {
    name: 'case 3S: Lc FF, the largest short data field',
    bytes: Uint8Array.from([0x80, 0xe2, 0x00, 0x00, 0xff, ...fill(255)]),
    want: { cla: 0x80, ins: 0xe2, p1: 0, p2: 0, dataHex: toHex(fill(255)), ne: undefined, case: 3, extended: false },
  },
  {
    name: 'case 2E: Le 0100',
    bytes: hex('00B00000000100'),
    want: { cla: 0x00, ins: 0xb0, p1: 0, p2: 0, dataHex: '', ne: 256, case: 2, extended: true },
  },
  {
    name: 'case 2E: Le 0000 means Ne 65536',
    bytes: hex('00B00000000000'),
    want: { cla: 0x00, ins: 0xb0, p1: 0, p2: 0, dataHex: '', ne: 65536, case: 2, extended: true },
  },
  {
    name: 'case 2E: Le 0001',
    bytes: hex('80CA9F7F000001'),
    want: { cla: 0x80, ins: 0xca, p1: 0x9f, p2: 0x7f, dataHex: '', ne: 1, case: 2, extended: true },
  },
  {
    name: 'case 3E: Lc 0100',
    bytes: Uint8Array.from([0x00, 0xd6, 0x00, 0x00, 0x00, 0x01, 0x00, ...data256]),
    want: { cla: 0, ins: 0xd6, p1: 0, p2: 0, dataHex: toHex(data256), ne: undefined, case: 3, extended: true },
  },
  {
    name: 'case 3E: Lc 0001 (extended form of a short body)',
    bytes: hex('80E20000000001AA'),
    want: { cla: 0x80, ins: 0xe2, p1: 0, p2: 0, dataHex: 'AA', ne: undefined, case: 3, extended: true },
  },
  {
    name: 'case 4E: Lc 012C, Le 0000 means Ne 65536',
    bytes: Uint8Array.from([0x00, 0x2a, 0x80, 0x86, 0x00, 0x01, 0x2c, ...data300, 0x00, 0x00]),
    want: { cla: 0, ins: 0x2a, p1: 0x80, p2: 0x86, dataHex: toHex(data300), ne: 65536, case: 4, extended: true },
  },
  {
    name: 'case 4E: Lc 0002, Le 0102',
    bytes: hex('80E20000000002BEEF0102'),
    want: { cla: 0x80, ins: 0xe2, p1: 0, p2: 0, dataHex: 'BEEF', ne: 0x102, case: 4, extended: true },
  },
];

void t.test('parseCommand: every case, short and extended', (t) => {
  for (const f of FIXTURES) {
    const p = parseCommand(f.bytes);
    const { dataHex, ...head } = f.want;
    t.same({ cla: p.cla, ins: p.ins, p1: p.p1, p2: p.p2, ne: p.ne, case: p.case, extended: p.extended }, head, f.name);
    t.equal(toHex(p.data), dataHex, `${f.name}: data`);
  }
  t.end();
});

void t.test('encodeCommand(parseCommand(x)) gives x back for every fixture', (t) => {
  for (const f of FIXTURES) {
    const p = parseCommand(f.bytes);
    t.equal(toHex(encodeCommand(p, { extended: p.extended })), toHex(f.bytes), f.name);
  }
  t.end();
});

void t.test('parsed data is a copy of the input', (t) => {
  const bytes = hex('80E2000002BEEF');
  const p = parseCommand(bytes);
  bytes.fill(0);
  t.equal(toHex(p.data), 'BEEF');
  t.end();
});

void t.test('encodeCommand picks the short form when it fits', (t) => {
  const enc = (c: CommandApdu, extended?: boolean): string => toHex(encodeCommand(c, extended === undefined ? {} : { extended }));
  t.equal(enc(command(0x80, 0xca, 0x00, 0x66, undefined, 256)), '80CA006600', 'Ne 256 is Le 00');
  t.equal(enc(command(0x80, 0xf2, 0x20, 0x02)), '80F22002', 'case 1');
  t.equal(enc(command(0x80, 0xe2, 0x91, 0x00, hex('BF3E035C015A'), 256)), '80E2910006BF3E035C015A00');
  t.equal(enc(command(0x80, 0xe2, 0x00, 0x00, hex('AA'))), '80E2000001AA', 'case 3S');
  // Forced extended form.
  t.equal(enc(command(0x80, 0xca, 0x9f, 0x7f, undefined, 3), true), '80CA9F7F000003', 'case 2E forced');
  t.equal(enc(command(0x80, 0xe2, 0, 0, hex('AA')), true), '80E20000000001AA', 'case 3E forced');
  t.equal(enc(command(0x80, 0xe2, 0, 0, hex('BEEF'), 0x102)), '80E20000000002BEEF0102', 'Ne 258 forces extended');
  t.equal(enc(command(0x80, 0xf2, 0x20, 0x02), true), '80F22002', 'case 1 has no extended form');
  t.end();
});

void t.test('encodeCommand switches to extended form on Nc > 255 or Ne > 256', (t) => {
  const c3 = encodeCommand(command(0, 0xd6, 0, 0, data256));
  t.equal(toHex(c3.subarray(0, 7)), '00D60000000100');
  t.equal(c3.length, 7 + 256);
  t.equal(toHex(encodeCommand(command(0, 0xb0, 0, 0, undefined, 257))), '00B00000000101');
  t.equal(toHex(encodeCommand(command(0, 0xb0, 0, 0, undefined, 65536))), '00B00000000000', 'Ne 65536 is Le 0000');
  const c4 = encodeCommand(command(0, 0x2a, 0x80, 0x86, data300, 65536));
  t.equal(toHex(c4.subarray(0, 7)), '002A808600012C');
  t.equal(toHex(c4.subarray(-2)), '0000');
  t.end();
});

void t.test('encodeCommand of a 65535-byte data field deep in the stack (no argument spreading)', (t) => {
  const big = fill(65535);
  const deep = (n: number): Uint8Array => (n === 0 ? encodeCommand(command(0, 0xd6, 0, 0, big, 65536)) : deep(n - 1));
  const out = deep(5000);
  t.equal(out.length, 4 + 3 + 65535 + 2);
  t.equal(toHex(out.subarray(4, 7)), '00FFFF');
  t.equal(parseCommand(out).data.length, 65535);
  t.end();
});

void t.test('command() and encodeCommand() refuse out-of-range fields', (t) => {
  const code = { code: 'APDU_MALFORMED' };
  t.throws(() => command(0x100, 0, 0, 0), code, 'CLA 100');
  t.throws(() => command(0, -1, 0, 0), code, 'INS -1');
  t.throws(() => command(0, 0, 1.5, 0), code, 'P1 not an integer');
  t.throws(() => command(0, 0, 0, 0x100), code, 'P2 100');
  t.throws(() => command(0, 0, 0, 0, new Uint8Array(65536)), code, 'Nc 65536');
  t.throws(() => command(0, 0, 0, 0, undefined, 0), code, 'Ne 0');
  t.throws(() => command(0, 0, 0, 0, undefined, 65537), code, 'Ne 65537');
  // Literals that never went through command() are checked too, not truncated.
  const base = { cla: 0x80, ins: 0xca, p1: 0, p2: 0x66, data: new Uint8Array(0) };
  t.throws(() => encodeCommand({ ...base, ne: 0 }), code, 'literal Ne 0');
  t.throws(() => encodeCommand({ ...base, ne: 70000 }), code, 'literal Ne 70000');
  t.throws(() => encodeCommand({ ...base, cla: 0x180 }), code, 'literal CLA 180');
  t.throws(() => encodeCommand({ ...base, data: new Uint8Array(65536) }), code, 'literal Nc 65536');
  t.end();
});

void t.test('parseCommand refuses every malformed form', (t) => {
  const bad: readonly [string, string | Uint8Array, RegExp][] = [
    ['empty', '', /shorter than a header \(0 bytes\)/],
    ['one byte', '80', /shorter than a header/],
    ['three bytes', '80CA00', /shorter than a header \(3 bytes\)/],
    ['short Lc larger than the body', '80E2000005AABBCC', /short Lc 5 does not match body of 3 bytes/],
    ['short Lc smaller than the body by two', '80E2000002AABBCCDD', /short Lc 2 does not match body of 4 bytes/],
    ['truncated extended length (6 bytes)', '80CA00000001', /truncated extended length field \(6 bytes\)/],
    ['extended Lc 0000 with a body', '80CA0000000000AA', /extended Lc of 0000/],
    ['extended Lc 0000 with a Le', '80CA00000000000000', /extended Lc of 0000/],
    ['extended Lc larger than the body', '80E20000000003AABB', /extended Lc 3 does not match body of 2 bytes/],
    ['extended Lc with one Le byte', '80E20000000001AA00', /extended Lc 1 does not match/],
    ['extended Lc with three trailing bytes', '80E20000000001AA000000', /extended Lc 1 does not match/],
    ['oversized short body', Uint8Array.from([0x80, 0xe2, 0, 0, 0xff, ...fill(257)]), /short Lc 255/],
    ['oversized extended body', Uint8Array.from([0x80, 0xe2, 0, 0, 0, 0xff, 0xff, ...fill(65535 + 3)]), /extended Lc 65535/],
  ];
  for (const [name, input, message] of bad) {
    const bytes = typeof input === 'string' ? hex(input) : input;
    t.throws(() => parseCommand(bytes), { code: 'APDU_MALFORMED', message }, name);
  }
  // Five bytes is case 2S whatever the fifth byte is: 'Lc FF with no data' is Le FF.
  t.equal(parseCommand(hex('80E20000FF')).ne, 255, 'five bytes is always case 2S');
  t.end();
});

void t.test('errors are CardErrors', (t) => {
  try {
    parseCommand(hex('80'));
    t.fail('should throw');
  } catch (e) {
    t.ok(e instanceof CardError);
  }
  t.end();
});

void t.test('parseResponse and encodeResponse', (t) => {
  const ok = parseResponse(hex('9000'));
  t.equal(ok.sw, 0x9000);
  t.equal(ok.data.length, 0);
  const r = parseResponse(hex('BF3E125A10898821199000000000000000000000059000'));
  t.equal(toHex(r.data), 'BF3E125A1089882119900000000000000000000005');
  t.equal(r.sw, 0x9000);
  t.equal(parseResponse(hex('6A88')).sw, 0x6a88);
  t.equal(parseResponse(hex('AA6A88')).sw, 0x6a88);
  t.equal(toHex(encodeResponse({ data: hex('0102'), sw: 0x6310 })), '01026310');
  t.equal(toHex(encodeResponse({ data: new Uint8Array(0), sw: 0x9000 })), '9000');
  const bytes = hex('CAFE6283');
  t.equal(toHex(encodeResponse(parseResponse(bytes))), 'CAFE6283', 'round trip');
  t.throws(() => parseResponse(new Uint8Array(0)), { code: 'RESPONSE_MALFORMED', message: /0 bytes/ });
  t.throws(() => parseResponse(hex('90')), { code: 'RESPONSE_MALFORMED', message: /1 bytes/ });
  t.throws(() => encodeResponse({ data: new Uint8Array(0), sw: 0x19000 }), { code: 'RESPONSE_MALFORMED' });
  t.throws(() => encodeResponse({ data: new Uint8Array(0), sw: -1 }), { code: 'RESPONSE_MALFORMED' });
  t.end();
});

void t.test('parsed response data is a copy', (t) => {
  const bytes = hex('AABB9000');
  const r = parseResponse(bytes);
  bytes.fill(0);
  t.equal(toHex(r.data), 'AABB');
  t.end();
});

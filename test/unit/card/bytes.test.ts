// Byte helpers shared by every room.
import t from 'tap';
import { concat, equalBytes, hex, readU16be, toHex, u16be, u24be, xor, zeroize } from '../../../card/bytes.js';

void t.test('hex parses, ignoring spaces, colons and newlines', (t) => {
  t.same([...hex('00 01:fF\n7f\tA0')], [0x00, 0x01, 0xff, 0x7f, 0xa0]);
  t.equal(hex('').length, 0);
  t.same([...hex('DeadBEEF')], [0xde, 0xad, 0xbe, 0xef]);
  t.end();
});

void t.test('hex refuses odd lengths and non-hex characters', (t) => {
  t.throws(() => hex('ABC'), { code: 'HEX_INVALID', message: /3 characters/ });
  t.throws(() => hex('zz'), { code: 'HEX_INVALID' });
  t.throws(() => hex('0x00'), { code: 'HEX_INVALID' });
  t.throws(() => hex('12-34'), { code: 'HEX_INVALID' });
  t.end();
});

void t.test('toHex is uppercase, zero-padded, without separators', (t) => {
  t.equal(toHex(Uint8Array.of(0x00, 0x0a, 0xff, 0x9f)), '000AFF9F');
  t.equal(toHex(new Uint8Array(0)), '');
  t.equal(toHex(hex('80ca006600')), '80CA006600', 'round trip');
  t.end();
});

void t.test('concat', (t) => {
  t.equal(toHex(concat(hex('01'), new Uint8Array(0), hex('0203'))), '010203');
  t.equal(concat().length, 0);
  const a = hex('AA');
  const out = concat(a);
  a[0] = 0;
  t.equal(toHex(out), 'AA', 'a copy, even of one part');
  t.end();
});

void t.test('equalBytes', (t) => {
  t.ok(equalBytes(hex('0102'), hex('0102')));
  t.ok(equalBytes(new Uint8Array(0), new Uint8Array(0)));
  t.notOk(equalBytes(hex('0102'), hex('0103')), 'last byte differs');
  t.notOk(equalBytes(hex('0102'), hex('8102')), 'first byte differs');
  t.notOk(equalBytes(hex('0102'), hex('010200')), 'lengths differ');
  t.end();
});

void t.test('zeroize clears every buffer and skips undefined', (t) => {
  const a = hex('0102');
  const b = hex('FFFF');
  zeroize(a, undefined, b);
  t.equal(toHex(a), '0000');
  t.equal(toHex(b), '0000');
  t.end();
});

void t.test('u16be and u24be', (t) => {
  t.equal(toHex(u16be(0)), '0000');
  t.equal(toHex(u16be(0x1234)), '1234');
  t.equal(toHex(u16be(0xffff)), 'FFFF');
  t.equal(toHex(u24be(0x000001)), '000001');
  t.equal(toHex(u24be(0xabcdef)), 'ABCDEF');
  // Out of range throws instead of silently truncating a length field.
  t.throws(() => u16be(0x10000), { code: 'ARGUMENT_INVALID' });
  t.throws(() => u16be(-1), { code: 'ARGUMENT_INVALID' });
  t.throws(() => u16be(1.5), { code: 'ARGUMENT_INVALID' });
  t.throws(() => u24be(0x1000000), { code: 'ARGUMENT_INVALID' });
  t.end();
});

void t.test('readU16be', (t) => {
  const b = hex('12345678');
  t.equal(readU16be(b, 0), 0x1234);
  t.equal(readU16be(b, 2), 0x5678);
  t.equal(readU16be(b, 1), 0x3456);
  // Reading past the end is an error, not zeros.
  t.throws(() => readU16be(b, 3), { code: 'LENGTH_MISMATCH' });
  t.throws(() => readU16be(b, -1), { code: 'LENGTH_MISMATCH' });
  t.throws(() => readU16be(new Uint8Array(0), 0), { code: 'LENGTH_MISMATCH' });
  t.end();
});

void t.test('xor', (t) => {
  t.equal(toHex(xor(hex('F0F0'), hex('0FF0'))), 'FF00');
  t.equal(xor(new Uint8Array(0), new Uint8Array(0)).length, 0);
  t.throws(() => xor(hex('01'), hex('0102')), { code: 'LENGTH_MISMATCH', message: /1 and 2 bytes/ });
  t.end();
});

/** Frame codec of the serial dispenser protocol: fixtures, round trips, the decode outcomes. */
import t from 'tap';
import fc from 'fast-check';
import { toHex } from '../../../card/bytes.js';
import { decodeStatus, encodeStatus } from '../../../hardware/serial/dispenser-protocol.js';
import { BAD_BCC_STATUS, FIXTURES } from '../../../hardware/serial/fixtures.js';
import { decodeFrame, encodeFrame, MAX_DATA, type Frame } from '../../../hardware/serial/frame.js';

void t.test('every annotated fixture decodes to its fields and re-encodes to its bytes', (t) => {
  for (const fx of FIXTURES) {
    const r = decodeFrame(fx.bytes);
    t.same(r, { kind: 'frame', frame: fx.frame, size: fx.bytes.length }, fx.what);
    t.equal(toHex(encodeFrame(fx.frame)), toHex(fx.bytes), `${fx.what}: encode`);
  }
  t.end();
});

void t.test('decode outcomes: partial, invalid, corrupt', (t) => {
  const status = FIXTURES[0]!.bytes;
  t.same(decodeFrame(status.subarray(0, 5)), { kind: 'partial' }, 'cut short');
  t.same(decodeFrame(new Uint8Array(0)), { kind: 'partial' });
  t.same(decodeFrame(Uint8Array.of(0x41, ...status)), { kind: 'invalid' }, 'no STX');
  t.same(decodeFrame(Uint8Array.of(0x02, 0x00, 0x02, 1, 2, 3, 4)), { kind: 'invalid' }, 'LEN below 3');
  t.same(decodeFrame(Uint8Array.of(0x02, 0x02, 0x04)), { kind: 'invalid' }, 'LEN above the maximum');
  const noEtx = status.slice();
  noEtx[6] = 0x04;
  t.same(decodeFrame(noEtx), { kind: 'invalid' }, 'ETX not where LEN says');
  t.same(decodeFrame(BAD_BCC_STATUS), { kind: 'corrupt', size: 8 });
  t.end();
});

void t.test('encode refuses what the layout cannot carry', (t) => {
  t.throws(() => encodeFrame({ seq: 256, cmd: 0x53, pm: 0x30, data: new Uint8Array(0) }), RangeError);
  t.throws(() => encodeFrame({ seq: 1, cmd: -1, pm: 0x30, data: new Uint8Array(0) }), RangeError);
  t.throws(() => encodeFrame({ seq: 1, cmd: 0x41, pm: 0x30, data: new Uint8Array(MAX_DATA + 1) }), RangeError);
  t.equal(encodeFrame({ seq: 1, cmd: 0x41, pm: 0x30, data: new Uint8Array(MAX_DATA) }).length, MAX_DATA + 8);
  t.end();
});

const arbFrame: fc.Arbitrary<Frame> = fc.record({
  seq: fc.integer({ min: 0, max: 255 }),
  cmd: fc.integer({ min: 0, max: 255 }),
  pm: fc.integer({ min: 0, max: 255 }),
  data: fc.uint8Array({ maxLength: MAX_DATA }),
});

void t.test('round trip: decode(encode(f)) = f; any single flipped bit is never a valid frame', (t) => {
  fc.assert(
    fc.property(arbFrame, fc.nat(), fc.integer({ min: 0, max: 7 }), (f, at, bit) => {
      const bytes = encodeFrame(f);
      const r = decodeFrame(bytes);
      if (r.kind !== 'frame' || r.size !== bytes.length) return false;
      if (r.frame.seq !== f.seq || r.frame.cmd !== f.cmd || r.frame.pm !== f.pm || toHex(r.frame.data) !== toHex(f.data)) return false;
      const bad = bytes.slice();
      const i = at % bad.length;
      bad[i] = bad[i]! ^ (1 << bit);
      // BCC catches every single-bit error of a same-length frame (a hit in LEN changes the length).
      const d = decodeFrame(bad);
      return !(d.kind === 'frame' && d.size === bytes.length);
    }),
    { numRuns: 500 },
  );
  t.end();
});

void t.test('status block: encode/decode, empty wins over low, unknown count', (t) => {
  const s = { cardAtIc: true, cardAtGate: false, jam: true, hopper: 'low' as const, hopperRemaining: 3, icPowered: false };
  t.equal(toHex(encodeStatus(s)), '0D0003');
  t.same(decodeStatus(encodeStatus(s)), s);
  t.match(decodeStatus(Uint8Array.of(0x18, 0, 0)), { hopper: 'empty', hopperRemaining: 0 });
  t.match(decodeStatus(Uint8Array.of(0x00, 0xff, 0xff)), { hopper: 'ok', hopperRemaining: undefined });
  t.equal(decodeStatus(Uint8Array.of(0, 0)), undefined, 'wrong length');
  t.end();
});

import t from 'tap';
import fc from 'fast-check';
import { hex, toHex } from '../../../card/bytes.js';
import {
  encodeVpcdFrame,
  isVpcdFramingError,
  VPCD_MAX_PAYLOAD,
  VpcdFrameParser,
} from '../../../hardware/sim/vpcd/vpcd-framing.js';

void t.test('encode: 2-byte big-endian length, then payload', (t) => {
  t.equal(toHex(encodeVpcdFrame(Uint8Array.of(0x04))), '000104');
  t.equal(toHex(encodeVpcdFrame(hex('00A4040008A000000151000000'))), '000D00A4040008A000000151000000');
  const big = new Uint8Array(0x1234);
  const f = encodeVpcdFrame(big);
  t.equal(f.length, 0x1236);
  t.equal(toHex(f.slice(0, 2)), '1234');
  t.ok(isVpcdFramingError(catchErr(() => encodeVpcdFrame(new Uint8Array(0))), 'FRAME_EMPTY'));
  t.ok(isVpcdFramingError(catchErr(() => encodeVpcdFrame(new Uint8Array(VPCD_MAX_PAYLOAD + 1))), 'FRAME_TOO_LARGE'));
  t.equal(encodeVpcdFrame(new Uint8Array(VPCD_MAX_PAYLOAD)).length, VPCD_MAX_PAYLOAD + 2);
  t.end();
});

void t.test('parser: coalesced frames in one chunk', (t) => {
  const p = new VpcdFrameParser();
  const frames = p.push(hex('0001 01 0001 04 0005 00A4040000'));
  t.same(frames.map(toHex), ['01', '04', '00A4040000']);
  t.equal(p.pending, 0);
  t.end();
});

void t.test('parser: a frame split at every position, even inside the length', (t) => {
  const wire = hex('0003 AABBCC 0001 00');
  for (let cut = 0; cut <= wire.length; cut++) {
    const p = new VpcdFrameParser();
    const got = [...p.push(wire.slice(0, cut)), ...p.push(wire.slice(cut))];
    t.same(got.map(toHex), ['AABBCC', '00'], `cut at ${cut}`);
  }
  const p = new VpcdFrameParser();
  const got: string[] = [];
  for (const b of wire) got.push(...p.push(Uint8Array.of(b)).map(toHex));
  t.same(got, ['AABBCC', '00'], 'byte by byte');
  t.end();
});

void t.test('parser: returns copies, not views of its buffer', (t) => {
  const p = new VpcdFrameParser();
  const chunk = hex('0002 1122');
  const [f] = p.push(chunk);
  chunk.fill(0);
  t.equal(toHex(f!), '1122');
  t.end();
});

void t.test('parser: max payload guard fires on the length field, before buffering', (t) => {
  const p = new VpcdFrameParser({ maxPayload: 16 });
  t.same(p.push(hex('0010')).length, 0, 'exactly max: waits for the body');
  const q = new VpcdFrameParser({ maxPayload: 16 });
  const e = catchErr(() => q.push(hex('0011')));
  t.ok(isVpcdFramingError(e, 'FRAME_TOO_LARGE'));
  t.notMatch((e as Error).message, /0011/, 'no wire bytes in the message');
  t.ok(isVpcdFramingError(catchErr(() => q.push(hex('000101'))), 'FRAME_TOO_LARGE'), 'stays failed');
  t.throws(() => new VpcdFrameParser({ maxPayload: 0 }), RangeError);
  t.throws(() => new VpcdFrameParser({ maxPayload: 0x10000 }), RangeError);
  t.end();
});

void t.test('parser: zero-length frame is an error', (t) => {
  const p = new VpcdFrameParser();
  t.ok(isVpcdFramingError(catchErr(() => p.push(hex('0001 04 0000'))), 'FRAME_EMPTY'));
  t.end();
});

void t.test('parser: end() inside a frame is TRUNCATED; at a boundary it is fine', (t) => {
  const p = new VpcdFrameParser();
  p.push(hex('0004 0102'));
  t.ok(isVpcdFramingError(catchErr(() => p.end()), 'TRUNCATED'));
  const q = new VpcdFrameParser();
  q.push(hex('0001 01'));
  t.doesNotThrow(() => q.end());
  t.end();
});

void t.test('parser: a 64 KB frame trickled in byte by byte, then another in the same chunk as its tail', (t) => {
  const payload = Uint8Array.from({ length: 0xffff }, (_, i) => (i * 7) & 0xff);
  const wire = Buffer.concat([encodeVpcdFrame(payload), encodeVpcdFrame(hex('04'))]);
  const p = new VpcdFrameParser();
  const out: Uint8Array[] = [];
  // Byte by byte up to the last byte of the big frame; the rest (its last byte and the next frame) at once.
  for (let i = 0; i < 0xffff + 1; i++) out.push(...p.push(wire.subarray(i, i + 1)));
  t.equal(out.length, 0, 'nothing before the frame is complete');
  t.equal(p.pending, 0xffff + 1, 'every byte held, none lost');
  out.push(...p.push(wire.subarray(0xffff + 1)));
  t.equal(out.length, 2);
  t.equal(toHex(out[0]!), toHex(payload));
  t.equal(toHex(out[1]!), '04');
  t.equal(p.pending, 0);
  t.end();
});

void t.test('property: any frames, any chunking, same payloads back', (t) => {
  fc.assert(
    fc.property(
      fc.array(fc.uint8Array({ minLength: 1, maxLength: 300 }), { maxLength: 8 }),
      fc.array(fc.integer({ min: 1, max: 64 }), { minLength: 1, maxLength: 16 }),
      (payloads, cuts) => {
        const wire = Buffer.concat(payloads.map((p) => encodeVpcdFrame(p)));
        const parser = new VpcdFrameParser();
        const out: Uint8Array[] = [];
        let off = 0;
        for (let i = 0; off < wire.length; i++) {
          const n = cuts[i % cuts.length]!;
          out.push(...parser.push(new Uint8Array(wire.subarray(off, off + n))));
          off += n;
        }
        parser.end();
        return out.length === payloads.length && out.every((o, i) => toHex(o) === toHex(payloads[i]!));
      },
    ),
    { numRuns: 300 },
  );
  t.pass('round trip holds');
  t.end();
});

void t.test('property: random bytes never crash or hang the parser', (t) => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 512 }), (bytes) => {
      const p = new VpcdFrameParser({ maxPayload: 261 });
      try {
        p.push(bytes);
      } catch (e) {
        if (!isVpcdFramingError(e)) throw e;
      }
      return true;
    }),
    { numRuns: 1000 },
  );
  t.pass('only typed errors');
  t.end();
});

function catchErr(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  return undefined;
}

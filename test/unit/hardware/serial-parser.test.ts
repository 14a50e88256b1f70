/** The serial dispenser's byte-stream parser: chunking, control bytes, resync after noise, bounded, never throws. */
import t from 'tap';
import fc from 'fast-check';
import { toHex } from '../../../card/bytes.js';
import { BAD_BCC_STATUS, FIXTURES } from '../../../hardware/serial/fixtures.js';
import { ACK, encodeFrame, ENQ, MAX_DATA, MAX_FRAME, NAK, STX, type Frame } from '../../../hardware/serial/frame.js';
import { FrameParser, type ParserEvent } from '../../../hardware/serial/parser.js';

const show = (events: ParserEvent[]): string[] =>
  events.map((e) => (e.kind === 'frame' ? `F${e.frame.seq}:${toHex(e.frame.data)}` : e.kind === 'control' ? `C${e.byte}` : 'X'));

function chunks(bytes: Uint8Array, cuts: number[]): Uint8Array[] {
  const at = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const out: Uint8Array[] = [];
  let prev = 0;
  for (const c of [...at, bytes.length]) {
    out.push(bytes.subarray(prev, c));
    prev = c;
  }
  return out;
}

void t.test('frames and control bytes, in order, whatever the chunking', (t) => {
  const stream = Uint8Array.of(ACK, ...FIXTURES[1]!.bytes, NAK, ENQ, ...FIXTURES[3]!.bytes);
  const want = ['C6', 'F1:090003', 'C21', 'C5', `F2:${toHex(FIXTURES[3]!.frame.data)}`];
  t.same(show(new FrameParser().push(stream)), want, 'one chunk');
  const p = new FrameParser();
  t.same(show([...stream].flatMap((b) => p.push(Uint8Array.of(b)))), want, 'byte by byte');
  t.equal(p.pending, 0);
  t.end();
});

void t.test('noise is skipped; a bad BCC is reported once; a stalled partial is abandoned', (t) => {
  const p = new FrameParser();
  t.same(show(p.push(Uint8Array.of(0x41, 0xff, 0x00, ...FIXTURES[0]!.bytes))), ['F1:']);
  t.equal(p.skipped, 3);
  t.same(show(p.push(BAD_BCC_STATUS)), ['X']);
  // A noise STX whose LEN promises 0x0100 bytes swallows the frame after it until it is abandoned.
  t.same(show(p.push(Uint8Array.of(STX, 0x01, 0x00, ...FIXTURES[0]!.bytes))), []);
  t.ok(p.pending > 0);
  t.same(show(p.abandonPartial()), ['F1:'], 'the real frame is found again');
  t.same(p.abandonPartial(), [], 'nothing pending');
  t.end();
});

void t.test('bounded: a stream of STX 02 00 (a frame that never ends) never holds more than MAX_FRAME bytes', (t) => {
  const p = new FrameParser();
  for (let i = 0; i < 50; i++) p.push(Uint8Array.of(STX, 0x02, 0x00, ...new Uint8Array(100)));
  t.ok(p.pending <= MAX_FRAME, `pending ${p.pending}`);
  t.end();
});

const arbFrame: fc.Arbitrary<Frame> = fc.record({
  seq: fc.integer({ min: 0, max: 255 }),
  cmd: fc.integer({ min: 0x41, max: 0x5a }),
  pm: fc.integer({ min: 0, max: 255 }),
  data: fc.uint8Array({ maxLength: 64 }),
});

void t.test('fuzz: arbitrary bytes in arbitrary chunks never throw and never grow the buffer past MAX_FRAME', (t) => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 3000 }), fc.array(fc.nat(), { maxLength: 20 }), (bytes, cuts) => {
      const p = new FrameParser();
      for (const c of chunks(bytes, cuts)) {
        p.push(c);
        if (p.pending > MAX_FRAME) return false;
      }
      while (p.pending > 0) p.abandonPartial();
      return true;
    }),
    { numRuns: 300 },
  );
  t.end();
});

void t.test('fuzz: after noise without STX, every frame is found; with any noise, abandoning partials finds the last one', (t) => {
  const noStx = fc.uint8Array({ maxLength: 40 }).map((a) => a.filter((b) => b !== STX));
  fc.assert(
    fc.property(fc.array(fc.tuple(noStx, arbFrame), { minLength: 1, maxLength: 5 }), fc.array(fc.nat(), { maxLength: 10 }), (parts, cuts) => {
      const stream = Uint8Array.from(parts.flatMap(([n, f]) => [...n, ...encodeFrame(f)]));
      const p = new FrameParser();
      const got = chunks(stream, cuts).flatMap((c) => p.push(c)).filter((e) => e.kind === 'frame');
      return got.length === parts.length && got.every((e, i) => e.kind === 'frame' && toHex(e.frame.data) === toHex(parts[i]![1].data));
    }),
    { numRuns: 300 },
  );
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 60 }), arbFrame, (noise, f) => {
      const p = new FrameParser();
      const events = p.push(Uint8Array.of(...noise, ...encodeFrame(f)));
      while (p.pending > 0) events.push(...p.abandonPartial());
      return events.some((e) => e.kind === 'frame' && e.frame.seq === f.seq && toHex(e.frame.data) === toHex(f.data));
    }),
    { numRuns: 500 },
  );
  t.end();
});

void t.test('MAX_DATA frame passes through', (t) => {
  const f = { seq: 9, cmd: 0x41, pm: 0, data: new Uint8Array(MAX_DATA).fill(0x02) };
  t.same(show(new FrameParser().push(encodeFrame(f))).length, 1);
  t.end();
});

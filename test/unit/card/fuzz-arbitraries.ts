// fast-check arbitraries for the parser fuzz tests (fuzz-parsers.test.ts):
// raw bytes biased toward the structure bytes the parsers branch on, valid
// APDUs / TLV trees / DGI lists, and mutations of valid encodings.
import fc from 'fast-check';
import { mutate, mutationsOf, type Mutation } from '../../fixtures/fuzz.js';
import type { CommandApdu } from '../../../card/apdu.js';
import type { Dgi } from '../../../card/dgi.js';
import { encodeTlvTree, type Tlv } from '../../../card/tlv.js';

/**
 * Bytes the parsers treat specially: padding (00, FF), length forms
 * (7F..84, FE), multi-byte tag markers (1F, 9F, BF, DF), constructed tags
 * (61, 70, 73, E1), continuation bytes (81), small lengths.
 */
const SPECIAL = [0x00, 0x01, 0x02, 0x03, 0x05, 0x1f, 0x61, 0x70, 0x73, 0x7f, 0x80, 0x81, 0x82, 0x83, 0x84, 0x9f, 0xbf, 0xdf, 0xe1, 0xfe, 0xff];

const byte = fc.oneof(fc.integer({ min: 0, max: 255 }), fc.constantFrom(...SPECIAL));

/**
 * Random byte strings: mostly short (where structure is dense), some up to
 * 600 bytes to reach long lengths. fast-check caps lengths at about 10
 * unless `size: 'max'` is given, so the long arm says so.
 */
export const randomBytes: fc.Arbitrary<Uint8Array> = fc.oneof(
  { arbitrary: fc.array(byte, { maxLength: 24 }).map((a) => Uint8Array.from(a)), weight: 4 },
  { arbitrary: fc.array(byte, { maxLength: 600, size: 'max' }).map((a) => Uint8Array.from(a)), weight: 1 },
  { arbitrary: fc.uint8Array({ maxLength: 300, size: 'max' }), weight: 1 },
);

/**
 * Command-APDU-shaped bytes: a header and a short body rich in 00 (the
 * extended-length marker) and small values, so that extended Lc/Le
 * fields such as 00 0000 xxxx appear often.
 */
export const apduLikeBytes: fc.Arbitrary<Uint8Array> = fc
  .tuple(
    fc.uint8Array({ minLength: 4, maxLength: 4 }),
    fc.array(fc.oneof({ arbitrary: fc.constant(0), weight: 3 }, { arbitrary: fc.integer({ min: 0, max: 4 }), weight: 1 }, { arbitrary: byte, weight: 1 }), {
      maxLength: 12,
    }),
  )
  .map(([head, body]) => Uint8Array.from([...head, ...body]));

/** Byte arrays whose lengths straddle a boundary (e.g. 255/256) as well as small ones. */
function bytesAround(lo: number, hi: number): fc.Arbitrary<Uint8Array> {
  return fc.oneof(
    { arbitrary: fc.uint8Array({ maxLength: 12 }), weight: 4 },
    { arbitrary: fc.uint8Array({ minLength: lo, maxLength: hi }), weight: 1 },
  );
}

export interface GeneratedCommand {
  readonly c: CommandApdu;
  readonly extended: boolean;
}

/** Valid command APDUs of every case, with Nc and Ne around the short/extended limits. */
export const commandArb: fc.Arbitrary<GeneratedCommand> = fc.record({
  cla: fc.integer({ min: 0, max: 255 }),
  ins: fc.integer({ min: 0, max: 255 }),
  p1: fc.integer({ min: 0, max: 255 }),
  p2: fc.integer({ min: 0, max: 255 }),
  data: bytesAround(250, 300),
  ne: fc.option(fc.oneof(fc.integer({ min: 1, max: 300 }), fc.integer({ min: 1, max: 65536 }), fc.constantFrom(1, 255, 256, 257, 65535, 65536))),
  extended: fc.boolean(),
}).map(({ extended, ne, ...rest }) => ({ c: { ...rest, ne: ne ?? undefined }, extended }));

const tagClass = fc.integer({ min: 0, max: 3 });

/** Well-formed tags of 1, 2 or 3 bytes with b6 (constructed) as asked. */
function tagArb(constructed: boolean): fc.Arbitrary<number> {
  const c = constructed ? 0x20 : 0;
  return fc.oneof(
    fc
      .tuple(tagClass, fc.integer({ min: 0, max: 30 }))
      .map(([cls, num]) => (cls << 6) | c | num)
      .filter((tag) => tag !== 0),
    fc.tuple(tagClass, fc.integer({ min: 0, max: 0x7f })).map(([cls, b]) => (((cls << 6) | c | 0x1f) << 8) | b),
    fc
      .tuple(tagClass, fc.integer({ min: 0x81, max: 0xff }), fc.integer({ min: 0, max: 0x7f }))
      .map(([cls, b1, b2]) => (((cls << 6) | c | 0x1f) << 16) | (b1 << 8) | b2),
  );
}

/**
 * TLV trees as parseTlv returns them: primitive leaves with values (some
 * long enough for 81/82 lengths) and constructed nodes whose value is the
 * encoding of their children.
 */
const { node: tlvNodeArb } = fc.letrec<{ node: Tlv }>((tie) => ({
  node: fc.oneof(
    { depthSize: 'small', maxDepth: 6, withCrossShrink: true },
    fc.record({ tag: tagArb(false), value: bytesAround(120, 300) }).map(({ tag, value }): Tlv => ({ tag, constructed: false, value })),
    fc
      .record({ tag: tagArb(true), children: fc.array(tie('node'), { maxLength: 4 }) })
      .map(({ tag, children }): Tlv => ({ tag, constructed: true, value: encodeTlvTree(children), children })),
  ),
}));

export const tlvListArb: fc.Arbitrary<Tlv[]> = fc.array(tlvNodeArb, { maxLength: 3 });

/** DGI lists with values on both sides of the 254/255 length boundary. */
export const dgiListArb: fc.Arbitrary<Dgi[]> = fc.array(
  fc.record({ tag: fc.integer({ min: 0, max: 0xffff }), value: bytesAround(250, 600) }),
  { maxLength: 5 },
);

/** Sorted cut points for splitting a stream into chunks. */
export const cutsArb: fc.Arbitrary<number[]> = fc.array(fc.nat(), { maxLength: 6 });

export function chunksAt(bytes: Uint8Array, cuts: readonly number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const out: Uint8Array[] = [];
  let prev = 0;
  for (const p of points) {
    out.push(bytes.subarray(prev, p));
    prev = p;
  }
  out.push(bytes.subarray(prev));
  return out;
}

export type { Mutation };
export const mutationArb: fc.Arbitrary<Mutation[]> = mutationsOf(byte);
export { mutate };

/**
 * BER-TLV data objects: ISO 7816-4 §5.2.2 on the basic encoding rules of
 * ISO 8825-1 §8.1 (tag, length, value).
 *
 * Tags are numbers holding the tag bytes as they appear on the wire, the
 * convention of EMV and GlobalPlatform: 0x9F7F is CPLC, 0x66 card data,
 * 0xBF0C. So a tag round-trips byte for byte and needs no class/number split.
 *
 * Choices, in one place:
 * - Tag fields of 1 to 3 bytes. ISO 7816-4 §5.2.2.1 supports no longer ones.
 *   A first tag byte 00 is invalid (ISO 7816-4 §5.2.2.1, ISO 8825-1 §8.1.2).
 *   In a multi-byte tag, the first subsequent byte may not be 80 (ISO 8825-1
 *   §8.1.2.4.2 c). Subsequent values 00..1E are accepted because EMV uses
 *   them (9F02, 9F1A, ...).
 * - Length fields (ISO 7816-4 §5.2.2.2): short form 00..7F; long form 81 xx,
 *   82 xxxx or 83 xxxxxx. 80 (the indefinite form of ISO 8825-1 §8.1.3.6)
 *   is not used by ISO 7816 and is refused. 84 and longer (over 16 MB) are
 *   refused too, since no card response comes near that.
 * - Non-minimal lengths (81 05, 82 0005) are accepted, as BER allows and as
 *   some cards send them. Encoding always writes the minimal form, so
 *   encode(parse(x)) equals x only for minimally encoded input.
 * - Padding: ISO 7816-4 §5.2.2 allows meaningless 00 or FF bytes before,
 *   between and after data objects (erased or rewritten data). This is off by
 *   default: a stray 00 is then an invalid tag, and FF starts a private,
 *   constructed, multi-byte tag as ISO 8825-1 says. With `{ padding: true }`,
 *   00 and FF are skipped wherever a tag is expected, at every level.
 * - Values are copies of the input, so callers may zeroize or reuse their
 *   buffer. A length is checked against the bytes actually present before
 *   anything is allocated, and each nesting level copies its values once.
 *   So total allocation stays within maxDepth × the input size, whatever
 *   the lengths claim.
 * - Nesting: with `recursive` (the default), constructed values (b6 of the
 *   first tag byte) are parsed into `children`. A value that is not a valid
 *   TLV list is malformed. Nesting deeper than `maxDepth` is refused.
 */
import { concat } from './bytes.js';
import { CardError } from './errors.js';

export interface Tlv {
  /** Tag bytes as one number, e.g. 0x9F7F. */
  readonly tag: number;
  /** b6 of the first tag byte: the value is itself a list of data objects. */
  readonly constructed: boolean;
  /** The value field (a copy). For constructed objects, the encoded children. */
  readonly value: Uint8Array;
  /** Parsed value of a constructed object when parsed recursively; never set on primitive ones. */
  readonly children?: readonly Tlv[];
}

export interface ParseTlvOptions {
  /** Parse constructed values into `children` (default true). */
  readonly recursive?: boolean;
  /** Deepest level of data objects allowed, top level = 1 (default 16, at most 64). */
  readonly maxDepth?: number;
  /** Skip 00/FF padding bytes wherever a tag is expected (default false). */
  readonly padding?: boolean;
}

export const DEFAULT_TLV_MAX_DEPTH = 16;
/** Upper bound on maxDepth, so that the recursive parser can never exhaust the stack. */
export const TLV_MAX_DEPTH_LIMIT = 64;
export const MAX_TAG_BYTES = 3;
/** Largest value length a 83 xxxxxx length field encodes. */
export const MAX_TLV_LENGTH = 0xffffff;

function malformed(message: string): CardError {
  return new CardError('TLV_MALFORMED', message);
}

/** Tag as even-length uppercase hex, for messages (tags are not card data). */
export function tagHex(tag: number): string {
  const s = tag.toString(16).toUpperCase();
  return s.length % 2 === 0 ? s : `0${s}`;
}

/** b6 of the first tag byte (ISO 8825-1 §8.1.2.5). */
export function tagIsConstructed(tag: number): boolean {
  const bytes = tagToBytes(tag);
  return (bytes[0]! & 0x20) !== 0;
}

/**
 * The wire bytes of a tag number. Throws `ARGUMENT_INVALID` unless they form
 * one well-formed tag field (the same rules the parser applies).
 */
export function tagToBytes(tag: number): Uint8Array {
  if (!Number.isInteger(tag) || tag < 1 || tag > 0xffffff) {
    throw new CardError('ARGUMENT_INVALID', `tag out of range: ${tag}`);
  }
  const n = tag > 0xffff ? 3 : tag > 0xff ? 2 : 1;
  const bytes = new Uint8Array(n);
  for (let i = 0, v = tag; i < n; i++, v = Math.floor(v / 256)) bytes[n - 1 - i] = v & 0xff;
  const first = bytes[0]!;
  const multi = (first & 0x1f) === 0x1f;
  let ok = multi === n > 1;
  for (let i = 1; i < n; i++) {
    const more = (bytes[i]! & 0x80) !== 0;
    if (more !== i < n - 1) ok = false;
  }
  if (n > 1 && bytes[1] === 0x80) ok = false;
  if (!ok) throw new CardError('ARGUMENT_INVALID', `not a well-formed BER-TLV tag: ${tagHex(tag)}`);
  return bytes;
}

/** Minimal length field for `n` (ISO 7816-4 §5.2.2.2). */
export function encodeLength(n: number): Uint8Array {
  if (!Number.isInteger(n) || n < 0 || n > MAX_TLV_LENGTH) {
    throw new CardError('ARGUMENT_INVALID', `TLV length out of range: ${n}`);
  }
  if (n < 0x80) return Uint8Array.of(n);
  if (n <= 0xff) return Uint8Array.of(0x81, n);
  if (n <= 0xffff) return Uint8Array.of(0x82, n >>> 8, n & 0xff);
  return Uint8Array.of(0x83, n >>> 16, (n >>> 8) & 0xff, n & 0xff);
}

/** One data object: tag ‖ minimal length ‖ value. */
export function encodeTlv(tag: number, value: Uint8Array): Uint8Array {
  return concat(tagToBytes(tag), encodeLength(value.length), value);
}

/**
 * Encodes a data object or a list of them. A node with `children` is
 * encoded from its children (its `value` is then ignored); a node without
 * them from its `value`. `constructed` must agree with the tag's b6, and
 * only constructed tags may have children.
 */
export function encodeTlvTree(tlv: Tlv | readonly Tlv[]): Uint8Array {
  if (isTlvList(tlv)) return concat(...tlv.map((t) => encodeTlvTree(t)));
  const constructed = tagIsConstructed(tlv.tag);
  if (tlv.constructed !== constructed) {
    throw new CardError('ARGUMENT_INVALID', `tag ${tagHex(tlv.tag)}: constructed flag disagrees with the tag`);
  }
  if (tlv.children === undefined) return encodeTlv(tlv.tag, tlv.value);
  if (!constructed) throw new CardError('ARGUMENT_INVALID', `primitive tag ${tagHex(tlv.tag)} cannot have children`);
  return encodeTlv(tlv.tag, encodeTlvTree(tlv.children));
}

function isTlvList(x: Tlv | readonly Tlv[]): x is readonly Tlv[] {
  return Array.isArray(x);
}

/** First data object with `tag`, searching depth-first in document order (pre-order). */
export function findTag(list: readonly Tlv[], tag: number): Tlv | undefined {
  for (const t of list) {
    if (t.tag === tag) return t;
    if (t.children !== undefined) {
      const found = findTag(t.children, tag);
      if (found !== undefined) return found;
    }
  }
  return undefined;
}

/**
 * Parses a list of BER-TLV data objects. Throws CardError `TLV_MALFORMED`
 * naming the defect and its offset: truncated tag, truncated length, length
 * beyond data, indefinite or over-long length, invalid tag, depth exceeded.
 * Throws `ARGUMENT_INVALID` for a bad maxDepth.
 */
export function parseTlv(bytes: Uint8Array, opts: ParseTlvOptions = {}): Tlv[] {
  const maxDepth = opts.maxDepth ?? DEFAULT_TLV_MAX_DEPTH;
  if (!Number.isInteger(maxDepth) || maxDepth < 1 || maxDepth > TLV_MAX_DEPTH_LIMIT) {
    throw new CardError('ARGUMENT_INVALID', `maxDepth must be 1..${TLV_MAX_DEPTH_LIMIT}: ${maxDepth}`);
  }
  const ctx: Ctx = { bytes, recursive: opts.recursive ?? true, padding: opts.padding ?? false, maxDepth };
  return parseRange(ctx, 0, bytes.length, 1);
}

interface Ctx {
  readonly bytes: Uint8Array;
  readonly recursive: boolean;
  readonly padding: boolean;
  readonly maxDepth: number;
}

/** Parses bytes[start, end) as data objects at nesting level `depth`. Offsets in messages are absolute. */
function parseRange(ctx: Ctx, start: number, end: number, depth: number): Tlv[] {
  const { bytes } = ctx;
  const out: Tlv[] = [];
  let pos = start;
  while (pos < end) {
    const b = bytes[pos]!;
    if (ctx.padding && (b === 0x00 || b === 0xff)) {
      pos++;
      continue;
    }
    if (depth > ctx.maxDepth) throw malformed(`nesting depth exceeds ${ctx.maxDepth} at offset ${pos}`);
    const tagAt = pos;
    const tag = readTag(bytes, pos, end);
    pos = tag.next;
    const len = readLength(bytes, pos, end, tag.tag);
    pos = len.next;
    if (len.length > end - pos) {
      throw malformed(`tag ${tagHex(tag.tag)} at offset ${tagAt}: length ${len.length} beyond data (${end - pos} bytes left)`);
    }
    const valueEnd = pos + len.length;
    const constructed = (b & 0x20) !== 0;
    const value = bytes.slice(pos, valueEnd);
    if (constructed && ctx.recursive) {
      out.push({ tag: tag.tag, constructed, value, children: parseRange(ctx, pos, valueEnd, depth + 1) });
    } else {
      out.push({ tag: tag.tag, constructed, value });
    }
    pos = valueEnd;
  }
  return out;
}

/** Tag field at `pos` (ISO 7816-4 §5.2.2.1, ISO 8825-1 §8.1.2). */
function readTag(bytes: Uint8Array, pos: number, end: number): { tag: number; next: number } {
  const at = pos;
  const first = bytes[pos++]!;
  if (first === 0x00) throw malformed(`invalid tag byte 00 at offset ${at}`);
  let tag = first;
  if ((first & 0x1f) !== 0x1f) return { tag, next: pos };
  // Multi-byte tag: subsequent bytes carry b8 = 1 except the last.
  for (let count = 2; ; count++) {
    if (pos >= end) throw malformed(`truncated tag at offset ${at}`);
    const b = bytes[pos++]!;
    if (count === 2 && b === 0x80) throw malformed(`invalid tag at offset ${at}: first subsequent byte 80`);
    tag = tag * 256 + b;
    if ((b & 0x80) === 0) return { tag, next: pos };
    if (count >= MAX_TAG_BYTES) throw malformed(`tag at offset ${at} longer than ${MAX_TAG_BYTES} bytes`);
  }
}

/** Length field at `pos` (ISO 7816-4 §5.2.2.2). */
function readLength(bytes: Uint8Array, pos: number, end: number, tag: number): { length: number; next: number } {
  const at = pos;
  if (pos >= end) throw malformed(`tag ${tagHex(tag)}: truncated length at offset ${at}`);
  const first = bytes[pos++]!;
  if (first < 0x80) return { length: first, next: pos };
  if (first === 0x80) throw malformed(`tag ${tagHex(tag)}: indefinite length (80) at offset ${at}`);
  const n = first & 0x7f;
  if (n > 3) throw malformed(`tag ${tagHex(tag)}: length field of ${n + 1} bytes at offset ${at}`);
  if (end - pos < n) throw malformed(`tag ${tagHex(tag)}: truncated length at offset ${at}`);
  let length = 0;
  for (let i = 0; i < n; i++) length = length * 256 + bytes[pos++]!;
  return { length, next: pos };
}

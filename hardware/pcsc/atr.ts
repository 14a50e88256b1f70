/**
 * What the driver reads from a card's ATR (ISO 7816-3 §8.2): the protocols
 * it offers and whether it takes extended-length APDUs.
 *
 * Extended length (ISO 7816-4 §8.1.1.2.7, "card capabilities"): the
 * historical bytes, when their category indicator is 00 or 80, are
 * COMPACT-TLV data objects (§8.1.1.1). Tag 7 holds up to three software
 * function tables; in the third, b7 (0x40) means "extended Lc and Le
 * fields" (b8, 0x80, is command chaining). A card that does not say so,
 * or whose ATR cannot be read, is taken to have short APDUs only.
 */
export interface AtrInfo {
  /** Protocols announced in TD bytes (T=0 when none is), in order. */
  readonly protocols: readonly number[];
  readonly historical: Uint8Array;
  /** Card capabilities say extended Lc/Le (third software function table, b7). */
  readonly extendedLength: boolean;
}

/** ISO 7816-3 §8.2.1: an ATR is TS T0 and at most 31 more bytes. */
export const MAX_ATR_LENGTH = 33;

/** True for an ATR of a length a card may send (2..33 bytes) starting with TS 3B or 3F. */
export function plausibleAtr(atr: Uint8Array): boolean {
  return atr.length >= 2 && atr.length <= MAX_ATR_LENGTH && (atr[0] === 0x3b || atr[0] === 0x3f);
}

/**
 * Parses the interface and historical bytes; undefined when the structure
 * does not hold together (the driver then assumes short APDUs only).
 */
export function parseAtr(atr: Uint8Array): AtrInfo | undefined {
  if (!plausibleAtr(atr)) return undefined;
  const k = atr[1]! & 0x0f;
  let y = atr[1]! >>> 4;
  let pos = 2;
  const protocols: number[] = [];
  for (;;) {
    pos += [0x1, 0x2, 0x4].filter((bit) => (y & bit) !== 0).length;
    if ((y & 0x8) === 0) break;
    if (pos >= atr.length) return undefined;
    const td = atr[pos]!;
    protocols.push(td & 0x0f);
    y = td >>> 4;
    pos += 1;
  }
  if (pos + k > atr.length) return undefined;
  const historical = atr.slice(pos, pos + k);
  return { protocols: protocols.length > 0 ? protocols : [0], historical, extendedLength: extendedLengthIn(historical) };
}

/** Reads card capabilities (tag 7) from COMPACT-TLV historical bytes (ISO 7816-4 §8.1.1). */
export function extendedLengthIn(historical: Uint8Array): boolean {
  const category = historical[0];
  let end: number;
  if (category === 0x80) end = historical.length;
  else if (category === 0x00) end = historical.length - 3; // a 3-byte status indicator closes the objects
  else return false;
  let i = 1;
  while (i < end) {
    const tag = historical[i]! >>> 4;
    const len = historical[i]! & 0x0f;
    if (i + 1 + len > end) return false;
    if (tag === 0x7 && len >= 3) return (historical[i + 3]! & 0x40) !== 0;
    i += 1 + len;
  }
  return false;
}

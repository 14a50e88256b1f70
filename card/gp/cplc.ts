/**
 * Card Production Life Cycle data (CPLC), the 42-byte record behind GET DATA
 * tag 9F7F. GPC v2.3.1 does not define its layout; it comes from Visa's
 * GlobalPlatform card requirements and is the one every tool reads
 * (GlobalPlatformPro's `CPLC` class lists the same 18 fields in the same
 * order). Dates are 2 BCD-ish bytes `YDDD`: last digit of the year, then the
 * day of the year.
 *
 * With a GlobalPlatform class byte the card returns `9F7F 2A <42 bytes>`
 * (GPC v2.3.1 §11.3.3.1); with an ISO class byte only the value. The parser
 * takes both.
 */
import { concat } from '../bytes.js';
import { CardError } from '../errors.js';

/** Field names and widths in wire order. */
export const CPLC_FIELDS = [
  ['icFabricator', 2],
  ['icType', 2],
  ['osId', 2],
  ['osReleaseDate', 2],
  ['osReleaseLevel', 2],
  ['icFabricationDate', 2],
  ['icSerialNumber', 4],
  ['icBatchIdentifier', 2],
  ['icModuleFabricator', 2],
  ['icModulePackagingDate', 2],
  ['iccManufacturer', 2],
  ['icEmbeddingDate', 2],
  ['icPrePersonalizer', 2],
  ['icPrePersonalizationDate', 2],
  ['icPrePersonalizationEquipmentId', 4],
  ['icPersonalizer', 2],
  ['icPersonalizationDate', 2],
  ['icPersonalizationEquipmentId', 4],
] as const;

export type CplcFieldName = (typeof CPLC_FIELDS)[number][0];
export type Cplc = { readonly [K in CplcFieldName]: Uint8Array };

export const CPLC_LENGTH = 42;
export const TAG_CPLC = 0x9f7f;

/**
 * Parses CPLC with or without its `9F7F 2A` header. Bytes after the 42 are
 * ignored, as GlobalPlatformPro does (some cards append padding). Throws
 * `RESPONSE_MALFORMED` when fewer than 42 bytes remain.
 */
export function parseCplc(data: Uint8Array): Cplc {
  let body = data;
  if (data.length >= 3 && data[0] === 0x9f && data[1] === 0x7f) {
    if (data[2] !== CPLC_LENGTH) throw new CardError('RESPONSE_MALFORMED', `CPLC length byte ${data[2]} (expected 42)`);
    body = data.subarray(3);
  }
  if (body.length < CPLC_LENGTH) {
    throw new CardError('RESPONSE_MALFORMED', `CPLC of ${body.length} bytes (expected ${CPLC_LENGTH})`);
  }
  const out: Record<string, Uint8Array> = {};
  let off = 0;
  for (const [name, len] of CPLC_FIELDS) {
    out[name] = body.slice(off, off + len);
    off += len;
  }
  return out as Cplc;
}

/**
 * Card side: `9F7F 2A` ‖ the 42 bytes. Missing fields are zeros; a field of
 * the wrong width throws `ARGUMENT_INVALID`.
 */
export function encodeCplc(fields: Partial<Cplc>): Uint8Array {
  const parts: Uint8Array[] = [Uint8Array.of(0x9f, 0x7f, CPLC_LENGTH)];
  for (const [name, len] of CPLC_FIELDS) {
    const v = fields[name] ?? new Uint8Array(len);
    if (v.length !== len) throw new CardError('ARGUMENT_INVALID', `CPLC ${name} of ${v.length} bytes (expected ${len})`);
    parts.push(v);
  }
  return concat(...parts);
}

export interface CplcDate {
  /** Last digit of the year (0..9). */
  readonly yearDigit: number;
  /** Day of the year, 1..366. */
  readonly dayOfYear: number;
}

/**
 * Decodes a CPLC date `YDDD`. Returns undefined for 0000/FFFF (no date) and
 * for anything that is not four decimal digits with a day in 1..366.
 * Resolving the decade needs a clock, so it is left to the caller.
 */
export function decodeCplcDate(v: Uint8Array): CplcDate | undefined {
  if (v.length !== 2) return undefined;
  const digits = [v[0]! >>> 4, v[0]! & 0x0f, v[1]! >>> 4, v[1]! & 0x0f];
  if (digits.some((d) => d > 9)) return undefined;
  const day = digits[1]! * 100 + digits[2]! * 10 + digits[3]!;
  if (day < 1 || day > 366) return undefined;
  return { yearDigit: digits[0]!, dayOfYear: day };
}

/** Encodes a CPLC date from a year and a day of the year (1..366). */
export function encodeCplcDate(year: number, dayOfYear: number): Uint8Array {
  if (!Number.isInteger(year) || year < 0 || !Number.isInteger(dayOfYear) || dayOfYear < 1 || dayOfYear > 366) {
    throw new CardError('ARGUMENT_INVALID', `CPLC date out of range: year ${year}, day ${dayOfYear}`);
  }
  const y = year % 10;
  const d = dayOfYear;
  return Uint8Array.of((y << 4) | Math.floor(d / 100), ((Math.floor(d / 10) % 10) << 4) | d % 10);
}

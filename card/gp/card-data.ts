/**
 * Card Recognition Data, GET DATA tag 66 (GPC v2.3.1 §H.2, tables H-1/H-2),
 * and the Security Domain Management Data (tag 73) the same structure
 * carries in a SELECT response (§H.3).
 *
 *   66 { 73 { 06 {gp 1}, 60 { 06 {gp 2 v} }, 63 { 06 {gp 3} },
 *             64 { 06 {gp 4 scp i} [06 ...] } [64 ...], 65 {...}, 66 {...} } }
 *
 * {gp} is 1.2.840.114283 (GPC v2.3.1 §H.1.1). Both formats are read: several
 * 64 templates with one OID each (format 1) or one 64 with several (format 2).
 * Templates are parsed one level at a time, so an unexpected object inside
 * 65/66 (card-specific content) cannot fail the parse.
 */
import { concat } from '../bytes.js';
import { CardError } from '../errors.js';
import { encodeTlv, parseTlv, type Tlv } from '../tlv.js';

export const TAG_CARD_DATA = 0x66;
export const TAG_CARD_RECOGNITION_DATA = 0x73;
const TAG_OID = 0x06;
const TAG_CARD_MANAGEMENT = 0x60;
const TAG_IDENTIFICATION_SCHEME = 0x63;
const TAG_SCP = 0x64;
const TAG_CONFIGURATION = 0x65;
const TAG_CHIP_DETAILS = 0x66;

/** GlobalPlatform's OID arc {globalPlatform}: iso(1) member-body(2) us(840) 114283. */
export const GP_OID = '1.2.840.114283';

export interface SecureChannelInfo {
  readonly scp: number;
  readonly i: number;
}

export interface CardData {
  /** 06 directly in 73: {gp 1} for GlobalPlatform card recognition data. */
  readonly recognitionOid?: string;
  /** 60: {gp 2 v}. */
  readonly cardManagementOid?: string;
  /** The "v" of {gp 2 v} as dotted digits, e.g. "2.3.1" (GPC v2.3.1 §H.2 note 2). */
  readonly gpVersion?: string;
  /** 63: {gp 3}. */
  readonly identificationSchemeOid?: string;
  /** 64: one entry per {gp 4 scp i} OID. */
  readonly secureChannels: readonly SecureChannelInfo[];
  /** 65 and 66 values, uninterpreted. */
  readonly configurationDetails?: Uint8Array;
  readonly chipDetails?: Uint8Array;
}

function malformed(msg: string): CardError {
  return new CardError('RESPONSE_MALFORMED', `card data: ${msg}`);
}

function parseLevel(bytes: Uint8Array, where: string): Tlv[] {
  try {
    return parseTlv(bytes, { recursive: false });
  } catch (e) {
    throw malformed(`${where}: ${e instanceof Error ? e.message : 'not BER-TLV'}`);
  }
}

/** Decodes an OID value (ISO 8825-1 §8.19) to dotted form. Throws `RESPONSE_MALFORMED`. */
export function decodeOid(value: Uint8Array): string {
  if (value.length === 0) throw malformed('empty OID');
  const arcs: number[] = [];
  let n = 0;
  let started = false;
  for (const b of value) {
    if (!started && b === 0x80) throw malformed('OID arc with a leading 80');
    n = n * 128 + (b & 0x7f);
    started = (b & 0x80) !== 0;
    if (n > Number.MAX_SAFE_INTEGER / 128) throw malformed('OID arc too large');
    if (!started) {
      arcs.push(n);
      n = 0;
    }
  }
  if (started) throw malformed('truncated OID');
  const first = arcs[0]!;
  const head = first < 40 ? [0, first] : first < 80 ? [1, first - 40] : [2, first - 80];
  return [...head, ...arcs.slice(1)].join('.');
}

/** Encodes a dotted OID to its value bytes (ISO 8825-1 §8.19). Throws `ARGUMENT_INVALID`. */
export function encodeOid(oid: string): Uint8Array {
  const arcs = oid.split('.').map((s) => (/^\d+$/.test(s) ? Number(s) : NaN));
  if (arcs.length < 2 || arcs.some((a) => !Number.isSafeInteger(a)) || arcs[0]! > 2 || (arcs[0]! < 2 && arcs[1]! > 39)) {
    throw new CardError('ARGUMENT_INVALID', `not an OID: ${oid}`);
  }
  const out: number[] = [];
  for (const arc of [arcs[0]! * 40 + arcs[1]!, ...arcs.slice(2)]) {
    const groups: number[] = [arc % 128];
    for (let v = Math.floor(arc / 128); v > 0; v = Math.floor(v / 128)) groups.unshift((v % 128) | 0x80);
    out.push(...groups);
  }
  return Uint8Array.from(out);
}

/** Arcs of `oid` after the GP prefix, or undefined when it is not under {globalPlatform}. */
function gpArcs(oid: string): number[] | undefined {
  if (!oid.startsWith(`${GP_OID}.`)) return undefined;
  return oid.slice(GP_OID.length + 1).split('.').map(Number);
}

/** The value bytes of {gp 4}, after which SCP and i follow. */
const GP_SCP_PREFIX = Uint8Array.of(0x2a, 0x86, 0x48, 0x86, 0xfc, 0x6b, 0x04);

/**
 * {gp 4 scp i}, read as raw bytes: `2A864886FC6B 04 <scp> <i>`. Cards write
 * scp and i as single bytes even at 80 and above (GlobalPlatformPro's
 * fixture has `...04 80 00` for SCP80), which is not a minimal OID arc, so
 * the bytes are taken as they are rather than decoded as arcs.
 */
function scpFromOid(v: Uint8Array): SecureChannelInfo | undefined {
  if (v.length !== GP_SCP_PREFIX.length + 2) return undefined;
  for (let i = 0; i < GP_SCP_PREFIX.length; i++) if (v[i] !== GP_SCP_PREFIX[i]) return undefined;
  return { scp: v[7]!, i: v[8]! };
}

function oidsIn(template: Tlv, where: string): string[] {
  return parseLevel(template.value, where)
    .filter((t) => t.tag === TAG_OID)
    .map((t) => decodeOid(t.value));
}

/**
 * Parses GET DATA 66 (with its 66 template) or a bare 73 template (SELECT
 * response). Throws `RESPONSE_MALFORMED` when 73 is missing or not BER-TLV.
 */
export function parseCardData(data: Uint8Array): CardData {
  let top = parseLevel(data, 'top level');
  const outer = top.find((t) => t.tag === TAG_CARD_DATA);
  if (outer !== undefined) top = parseLevel(outer.value, '66');
  const crd = top.find((t) => t.tag === TAG_CARD_RECOGNITION_DATA);
  if (crd === undefined) throw malformed('no 73 template');
  let recognitionOid: string | undefined;
  let cardManagementOid: string | undefined;
  let identificationSchemeOid: string | undefined;
  let configurationDetails: Uint8Array | undefined;
  let chipDetails: Uint8Array | undefined;
  const secureChannels: SecureChannelInfo[] = [];
  for (const t of parseLevel(crd.value, '73')) {
    if (t.tag === TAG_OID && recognitionOid === undefined) recognitionOid = decodeOid(t.value);
    else if (t.tag === TAG_CARD_MANAGEMENT) cardManagementOid ??= oidsIn(t, '60')[0];
    else if (t.tag === TAG_IDENTIFICATION_SCHEME) identificationSchemeOid ??= oidsIn(t, '63')[0];
    else if (t.tag === TAG_SCP) {
      for (const o of parseLevel(t.value, '64')) {
        const sc = o.tag === TAG_OID ? scpFromOid(o.value) : undefined;
        if (sc !== undefined) secureChannels.push(sc);
      }
    } else if (t.tag === TAG_CONFIGURATION) configurationDetails ??= t.value;
    else if (t.tag === TAG_CHIP_DETAILS) chipDetails ??= t.value;
  }
  const mgmt = cardManagementOid !== undefined ? gpArcs(cardManagementOid) : undefined;
  const gpVersion = mgmt !== undefined && mgmt[0] === 2 && mgmt.length > 1 ? mgmt.slice(1).join('.') : undefined;
  return {
    ...(recognitionOid !== undefined ? { recognitionOid } : {}),
    ...(cardManagementOid !== undefined ? { cardManagementOid } : {}),
    ...(gpVersion !== undefined ? { gpVersion } : {}),
    ...(identificationSchemeOid !== undefined ? { identificationSchemeOid } : {}),
    secureChannels,
    ...(configurationDetails !== undefined ? { configurationDetails } : {}),
    ...(chipDetails !== undefined ? { chipDetails } : {}),
  };
}

export interface CardDataInput {
  /** GP version "v" of {gp 2 v}, e.g. "2.3.1". Default "2.3.1". */
  readonly gpVersion?: string;
  /** Secure channel protocols, one 64 template each (format 1). */
  readonly secureChannels: readonly SecureChannelInfo[];
  /** Whether to include 63 {gp 3} (the card is identified by IIN and CIN). Default true. */
  readonly identificationScheme?: boolean;
}

/** Card side: the 66 response to GET DATA, in format 1 (GPC v2.3.1 table H-1). */
export function encodeCardData(input: CardDataInput): Uint8Array {
  const oid = (s: string): Uint8Array => encodeTlv(TAG_OID, encodeOid(s));
  const parts: Uint8Array[] = [
    oid(`${GP_OID}.1`),
    encodeTlv(TAG_CARD_MANAGEMENT, oid(`${GP_OID}.2.${input.gpVersion ?? '2.3.1'}`)),
  ];
  if (input.identificationScheme ?? true) parts.push(encodeTlv(TAG_IDENTIFICATION_SCHEME, oid(`${GP_OID}.3`)));
  for (const { scp, i } of input.secureChannels) {
    if (!Number.isInteger(scp) || scp < 0 || scp > 0xff || !Number.isInteger(i) || i < 0 || i > 0xff) {
      throw new CardError('ARGUMENT_INVALID', `secure channel ${scp}/${i} out of range`);
    }
    parts.push(encodeTlv(TAG_SCP, encodeTlv(TAG_OID, concat(GP_SCP_PREFIX, Uint8Array.of(scp, i)))));
  }
  return encodeTlv(TAG_CARD_DATA, encodeTlv(TAG_CARD_RECOGNITION_DATA, concat(...parts)));
}

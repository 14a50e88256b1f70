/**
 * Key Information Template, GET DATA tag E0 (GPC v2.3.1 §11.3.3.1.1):
 *
 *   E0 { C0 <key information data>, C0 ..., ... }
 *
 * Basic format (table 11-28): id ‖ version ‖ (type ‖ length)+, one byte each.
 * Extended format (table 11-29), announced by a first type byte FF:
 *   id ‖ version ‖ (FF type ‖ length(2))+ ‖ Lu ‖ usage(0..1) ‖ La ‖ access(0..1)
 *
 * The host parser reads what real cards send:
 * - An empty C0 is skipped (a fresh SSD has no keys), as GlobalPlatformPro does.
 * - In the extended format a later component may lack its FF prefix
 *   (`A0 0003` after `FFA1 0080` in GlobalPlatformPro's RSA test fixture):
 *   a byte other than FF and above 02 (so not a key usage length) is read as
 *   a 1-byte type with a 2-byte length.
 * - A key usage of up to 2 bytes (§11.1.9 defines a second byte).
 * - In the basic format a length 00 means "256 or more" (§11.3.3.1.1); it is
 *   reported as 0.
 * Anything else that does not fit is `RESPONSE_MALFORMED`.
 */
import { concat } from '../bytes.js';
import { CardError } from '../errors.js';
import { encodeTlv, parseTlv, type Tlv } from '../tlv.js';
import { checkByte } from './constants.js';

export const TAG_KEY_INFORMATION_TEMPLATE = 0xe0;
export const TAG_KEY_INFORMATION_DATA = 0xc0;

/** Key types (GPC v2.3.1 §11.1.8, table 11-16) that Cardline names. */
export const KEY_TYPE = {
  DES: 0x80,
  TLS_PSK: 0x85,
  AES: 0x88,
  HMAC_SHA1: 0x90,
  RSA_PUBLIC_E: 0xa0,
  RSA_PUBLIC_N: 0xa1,
  ECC_PUBLIC: 0xb0,
  ECC_PRIVATE: 0xb1,
  EXTENDED: 0xff,
} as const;

export interface KeyComponentInfo {
  /** Key type, the second byte in the extended format. */
  readonly type: number;
  /** Length in bytes (0 in the basic format means 256 or more). */
  readonly length: number;
}

export interface KeyInfo {
  readonly id: number;
  readonly version: number;
  readonly components: readonly KeyComponentInfo[];
  readonly format: 'basic' | 'extended';
  /** Key usage qualifier (§11.1.9), extended format only, when present. */
  readonly usage?: number;
  /** Key access (§11.1.10), extended format only, when present. */
  readonly access?: number;
}

function malformed(msg: string): CardError {
  return new CardError('RESPONSE_MALFORMED', `key information: ${msg}`);
}

/** One C0 value (length ≥ 1). */
export function parseKeyInformationData(v: Uint8Array): KeyInfo {
  if (v.length < 4) throw malformed(`C0 of ${v.length} bytes`);
  const id = v[0]!;
  const version = v[1]!;
  const components: KeyComponentInfo[] = [];
  let pos = 2;
  if (v[2] !== KEY_TYPE.EXTENDED) {
    if ((v.length - 2) % 2 !== 0) throw malformed(`key ${id}/${version}: odd basic component list`);
    for (; pos < v.length; pos += 2) {
      if (v[pos] === KEY_TYPE.EXTENDED) throw malformed(`key ${id}/${version}: FF type inside the basic format`);
      components.push({ type: v[pos]!, length: v[pos + 1]! });
    }
    return { id, version, components, format: 'basic' };
  }
  for (;;) {
    const left = v.length - pos;
    if (v[pos] === KEY_TYPE.EXTENDED) {
      if (left < 4) throw malformed(`key ${id}/${version}: truncated extended component`);
      components.push({ type: v[pos + 1]!, length: (v[pos + 2]! << 8) | v[pos + 3]! });
      pos += 4;
    } else if (pos < v.length && v[pos]! > 2) {
      // Quirk: a component without its FF prefix (see the header comment). A
      // byte above 02 cannot start the usage/access tail (its Lu is 0..2).
      if (left < 5) throw malformed(`key ${id}/${version}: truncated component`);
      components.push({ type: v[pos]!, length: (v[pos + 1]! << 8) | v[pos + 2]! });
      pos += 3;
    } else break;
  }
  const tail = readUsageAccess(v, pos, `key ${id}/${version}`);
  return { id, version, components, format: 'extended', ...tail };
}

/** Lu ‖ usage ‖ La ‖ access after the extended components; a missing tail is accepted. */
function readUsageAccess(v: Uint8Array, start: number, what: string): { usage?: number; access?: number } {
  let pos = start;
  if (pos === v.length) return {};
  const out: { usage?: number; access?: number } = {};
  const lu = v[pos++]!;
  if (lu > 2 || pos + lu > v.length) throw malformed(`${what}: key usage length ${lu}`);
  if (lu > 0) out.usage = lu === 1 ? v[pos]! : (v[pos]! << 8) | v[pos + 1]!;
  pos += lu;
  if (pos === v.length) throw malformed(`${what}: missing key access length`);
  const la = v[pos++]!;
  if (la > 1 || pos + la !== v.length) throw malformed(`${what}: key access length ${la}`);
  if (la === 1) out.access = v[pos]!;
  return out;
}

/**
 * Parses the GET DATA E0 response (the E0 template itself, or a bare list of
 * C0 objects). Throws `RESPONSE_MALFORMED`.
 */
export function parseKeyInformation(data: Uint8Array): KeyInfo[] {
  let list: Tlv[];
  try {
    list = parseTlv(data, { recursive: false });
    const e0 = list.find((t) => t.tag === TAG_KEY_INFORMATION_TEMPLATE);
    if (e0 !== undefined) list = parseTlv(e0.value, { recursive: false });
  } catch (e) {
    throw malformed(e instanceof Error ? e.message : 'not BER-TLV');
  }
  const out: KeyInfo[] = [];
  for (const t of list) {
    if (t.tag !== TAG_KEY_INFORMATION_DATA) throw malformed(`unexpected tag ${t.tag.toString(16)} in E0`);
    if (t.value.length === 0) continue;
    out.push(parseKeyInformationData(t.value));
  }
  return out;
}

/** Card side: one C0 value in the key's format. */
export function encodeKeyInformationData(k: KeyInfo): Uint8Array {
  checkByte(k.id, 'key id');
  checkByte(k.version, 'key version');
  if (k.components.length === 0) throw new CardError('ARGUMENT_INVALID', `key ${k.id}/${k.version} has no components`);
  const out: number[] = [k.id, k.version];
  for (const c of k.components) {
    checkByte(c.type, 'key type');
    if (c.type === KEY_TYPE.EXTENDED) throw new CardError('ARGUMENT_INVALID', 'key type FF is the format marker');
    if (k.format === 'basic') {
      checkByte(c.length, 'key length');
      out.push(c.type, c.length);
    } else {
      if (!Number.isInteger(c.length) || c.length < 0 || c.length > 0x7fff) {
        throw new CardError('ARGUMENT_INVALID', `key length out of range: ${c.length}`);
      }
      out.push(KEY_TYPE.EXTENDED, c.type, c.length >>> 8, c.length & 0xff);
    }
  }
  if (k.format === 'extended') {
    if (k.usage === undefined) out.push(0);
    else if (k.usage <= 0xff) out.push(1, k.usage);
    else out.push(2, k.usage >>> 8, k.usage & 0xff);
    if (k.access === undefined) out.push(0);
    else {
      checkByte(k.access, 'key access');
      out.push(1, k.access);
    }
  }
  return Uint8Array.from(out);
}

/** Card side: the E0 template answering GET DATA E0. */
export function encodeKeyInformation(keys: readonly KeyInfo[]): Uint8Array {
  return encodeTlv(TAG_KEY_INFORMATION_TEMPLATE, concat(...keys.map((k) => encodeTlv(TAG_KEY_INFORMATION_DATA, encodeKeyInformationData(k)))));
}

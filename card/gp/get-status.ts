/**
 * GET STATUS (GPC v2.3.1 §11.4): the registry's life cycle states.
 *
 *   command:  80 F2 P1 P2 Lc 4F <len> <AID prefix> [5C <tag list>] 00
 *             P1: 80 ISD, 40 applications and SDs, 20 load files, 10 load files and modules
 *             P2: 02 (TLV response format) | 01 for "get next" after 6310
 *   response: E3 { 4F AID, 9F70 life cycle, C5 privileges, [CF, C4, CE, 84..., CC] } ...
 *
 * The host parser reads every E3 and keeps the tags of tables 11-36/11-37;
 * the card side parses the command (strict) and encodes entries.
 */
import { command, type CommandApdu } from '../apdu.js';
import { concat } from '../bytes.js';
import { CardError } from '../errors.js';
import { encodeTlv, parseTlv, tagToBytes, type Tlv } from '../tlv.js';
import { AID_MAX, byteHex, CLA_GP, INS } from './constants.js';

export const GET_STATUS_P1 = {
  ISD: 0x80,
  APPLICATIONS: 0x40,
  LOAD_FILES: 0x20,
  LOAD_FILES_AND_MODULES: 0x10,
} as const;
export type GetStatusSubset = (typeof GET_STATUS_P1)[keyof typeof GET_STATUS_P1];

/** P2 b2: response in the TLV format of tables 11-36/11-37; b1: get next occurrence(s) (table 11-34). */
export const GET_STATUS_P2_TLV = 0x02;
export const GET_STATUS_P2_NEXT = 0x01;
/** SW 6310: more data available, send GET STATUS [get next] (table 11-38). */
export const SW_MORE_DATA = 0x6310;

const TAG_REGISTRY_DATA = 0xe3;
const TAG_AID = 0x4f;
const TAG_LIFE_CYCLE = 0x9f70;
const TAG_PRIVILEGES = 0xc5;
const TAG_IMPLICIT_SELECTION = 0xcf;
const TAG_ELF_AID = 0xc4;
const TAG_ELF_VERSION = 0xce;
const TAG_MODULE_AID = 0x84;
const TAG_SD_AID = 0xcc;
const TAG_TAG_LIST = 0x5c;

/**
 * GET STATUS. `aidFilter` is an AID or a prefix of one (e.g. a RID); absent
 * means all (`4F 00`, §11.4.2.3). `tagList` adds a 5C tag list.
 */
export function getStatus(p1: GetStatusSubset, next: boolean, aidFilter?: Uint8Array, tagList?: readonly number[]): CommandApdu {
  if (!Object.values(GET_STATUS_P1).includes(p1)) throw new CardError('ARGUMENT_INVALID', `GET STATUS P1 ${byteHex(p1)}`);
  const aid = aidFilter ?? new Uint8Array(0);
  if (aid.length > AID_MAX) throw new CardError('ARGUMENT_INVALID', `AID filter of ${aid.length} bytes`);
  const parts = [encodeTlv(TAG_AID, aid)];
  if (tagList !== undefined) parts.push(encodeTlv(TAG_TAG_LIST, concat(...tagList.map((t) => tagToBytes(t)))));
  const p2 = GET_STATUS_P2_TLV | (next ? GET_STATUS_P2_NEXT : 0);
  return command(CLA_GP, INS.GET_STATUS, p1, p2, concat(...parts), 256);
}

export interface RegistryEntry {
  readonly aid: Uint8Array;
  readonly lifeCycle: number;
  /** C5 as a 24-bit number, byte 1 high (§11.1.2); a 1-byte C5 fills byte 1 only. Absent for load files. */
  readonly privileges?: number;
  /** CF values, one per implicit selection parameter. */
  readonly implicitSelection?: readonly number[];
  /** C4: the application's load file. */
  readonly loadFileAid?: Uint8Array;
  /** CE: load file version. */
  readonly loadFileVersion?: Uint8Array;
  /** 84: executable modules of a load file (P1 10). */
  readonly modules?: readonly Uint8Array[];
  /** CC: associated security domain. */
  readonly securityDomainAid?: Uint8Array;
}

function malformed(msg: string): CardError {
  return new CardError('RESPONSE_MALFORMED', `GET STATUS: ${msg}`);
}

function entryFrom(items: readonly Tlv[]): RegistryEntry {
  const one = (tag: number): Uint8Array | undefined => items.find((t) => t.tag === tag)?.value;
  const aid = one(TAG_AID);
  const lc = one(TAG_LIFE_CYCLE);
  if (aid === undefined) throw malformed('E3 without 4F');
  if (lc?.length !== 1) throw malformed('E3 without a 1-byte 9F70');
  const priv = one(TAG_PRIVILEGES);
  if (priv !== undefined && priv.length !== 1 && priv.length !== 3) throw malformed(`C5 of ${priv.length} bytes`);
  const cf = items.filter((t) => t.tag === TAG_IMPLICIT_SELECTION).map((t) => t.value[0] ?? 0);
  const modules = items.filter((t) => t.tag === TAG_MODULE_AID).map((t) => t.value);
  const elf = one(TAG_ELF_AID);
  const ver = one(TAG_ELF_VERSION);
  const sd = one(TAG_SD_AID);
  return {
    aid,
    lifeCycle: lc[0]!,
    ...(priv !== undefined ? { privileges: ((priv[0] ?? 0) << 16) | ((priv[1] ?? 0) << 8) | (priv[2] ?? 0) } : {}),
    ...(cf.length > 0 ? { implicitSelection: cf } : {}),
    ...(elf !== undefined ? { loadFileAid: elf } : {}),
    ...(ver !== undefined ? { loadFileVersion: ver } : {}),
    ...(modules.length > 0 ? { modules } : {}),
    ...(sd !== undefined ? { securityDomainAid: sd } : {}),
  };
}

/** Parses a GET STATUS response (P2 b2 = 1 format): E3 templates only. Throws `RESPONSE_MALFORMED`. */
export function parseGetStatus(data: Uint8Array): RegistryEntry[] {
  let top: Tlv[];
  try {
    top = parseTlv(data, { recursive: false });
  } catch (e) {
    throw malformed(e instanceof Error ? e.message : 'not BER-TLV');
  }
  return top.map((t) => {
    if (t.tag !== TAG_REGISTRY_DATA) throw malformed(`unexpected tag ${t.tag.toString(16)} (expected E3)`);
    let items: Tlv[];
    try {
      items = parseTlv(t.value, { recursive: false });
    } catch (e) {
      throw malformed(e instanceof Error ? e.message : 'E3 value not BER-TLV');
    }
    return entryFrom(items);
  });
}

/** Card side: E3 templates for `entries`, tags in table 11-36 order. */
export function encodeGetStatusEntries(entries: readonly RegistryEntry[]): Uint8Array {
  return concat(
    ...entries.map((e) => {
      const parts = [encodeTlv(TAG_AID, e.aid), encodeTlv(TAG_LIFE_CYCLE, Uint8Array.of(e.lifeCycle & 0xff))];
      if (e.privileges !== undefined) {
        const p = e.privileges;
        parts.push(encodeTlv(TAG_PRIVILEGES, Uint8Array.of((p >>> 16) & 0xff, (p >>> 8) & 0xff, p & 0xff)));
      }
      for (const cf of e.implicitSelection ?? []) parts.push(encodeTlv(TAG_IMPLICIT_SELECTION, Uint8Array.of(cf)));
      if (e.loadFileAid !== undefined) parts.push(encodeTlv(TAG_ELF_AID, e.loadFileAid));
      if (e.loadFileVersion !== undefined) parts.push(encodeTlv(TAG_ELF_VERSION, e.loadFileVersion));
      for (const m of e.modules ?? []) parts.push(encodeTlv(TAG_MODULE_AID, m));
      if (e.securityDomainAid !== undefined) parts.push(encodeTlv(TAG_SD_AID, e.securityDomainAid));
      return encodeTlv(TAG_REGISTRY_DATA, concat(...parts));
    }),
  );
}

export interface GetStatusRequest {
  readonly subset: GetStatusSubset;
  readonly next: boolean;
  /** The 4F search value: empty for all, else an AID or AID prefix. */
  readonly aidFilter: Uint8Array;
  /** 5C tag list, when present. */
  readonly tagList?: readonly number[];
}

/**
 * Card side: P1, P2 and data of a GET STATUS. Throws `P1P2_INVALID` (6A86)
 * for P1 other than 80/40/20/10 or P2 without b2 (the deprecated format;
 * §11.4.2.2 leaves the card's behaviour open),
 * and `COMMAND_DATA_INVALID` (6A80) when the data does not start with 4F.
 * Other search criteria are ignored, as §11.4.2.3 requires.
 */
export function parseGetStatusCommand(p1: number, p2: number, data: Uint8Array): GetStatusRequest {
  if (!Object.values(GET_STATUS_P1).includes(p1 as GetStatusSubset)) {
    throw new CardError('P1P2_INVALID', `GET STATUS P1 ${byteHex(p1)}`);
  }
  // P2 b8..b3 are RFU and ignored (§11.1); b2 = 0 asks for the deprecated format, which we do not answer.
  if ((p2 & GET_STATUS_P2_TLV) === 0) throw new CardError('P1P2_INVALID', `GET STATUS P2 ${byteHex(p2)}`);
  let items: Tlv[];
  try {
    items = parseTlv(data, { recursive: false });
  } catch (e) {
    throw new CardError('COMMAND_DATA_INVALID', `GET STATUS data: ${e instanceof Error ? e.message : 'not BER-TLV'}`);
  }
  const first = items[0];
  if (first?.tag !== TAG_AID || first.value.length > AID_MAX) {
    throw new CardError('COMMAND_DATA_INVALID', 'GET STATUS data must start with 4F (0..16 bytes)');
  }
  const list = items.find((t) => t.tag === TAG_TAG_LIST);
  let tagList: number[] | undefined;
  if (list !== undefined) {
    try {
      tagList = parseTagList(list.value);
    } catch {
      throw new CardError('COMMAND_DATA_INVALID', 'GET STATUS tag list malformed');
    }
  }
  return { subset: p1 as GetStatusSubset, next: (p2 & GET_STATUS_P2_NEXT) !== 0, aidFilter: first.value, ...(tagList ? { tagList } : {}) };
}

/** A 5C tag list: concatenated BER tags without lengths. */
function parseTagList(v: Uint8Array): number[] {
  const out: number[] = [];
  let pos = 0;
  while (pos < v.length) {
    let tag = v[pos++]!;
    if ((tag & 0x1f) === 0x1f) {
      let b: number;
      do {
        if (pos >= v.length) throw new Error('truncated tag');
        b = v[pos++]!;
        tag = tag * 256 + b;
      } while ((b & 0x80) !== 0 && tag <= 0xffff);
      if ((b & 0x80) !== 0) throw new Error('tag too long');
    }
    out.push(tag);
  }
  return out;
}

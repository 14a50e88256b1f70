/**
 * SELECT [by name] and the security domain's File Control Information
 * (GPC v2.3.1 §11.9, ISO 7816-4 §11.2.2).
 *
 *   command:  00 A4 04 00 Lc <AID> 00
 *   response: 6F { 84 <AID>, A5 { 73 <SD management data>, 9F6E <life cycle data>, 9F65 <max Lc> } }
 *
 * The host parser is lenient the way card tools have to be: only 6F is
 * required; 84, A5 and the tags inside A5 are taken when present, unknown
 * tags are kept in `proprietary` / `other`. The card-side encoder writes the
 * layout of table 11-82.
 */
import { command, type CommandApdu } from '../apdu.js';
import { concat } from '../bytes.js';
import { CardError } from '../errors.js';
import { encodeTlv, parseTlv, type Tlv } from '../tlv.js';
import { checkAid, CLA_ISO, INS } from './constants.js';

/** P1 04: select by name (DF name / AID). P2 00: first or only occurrence; 02: next (GPC v2.3.1 tables 11-80, 11-81). */
export const SELECT_BY_NAME = 0x04;
export const SELECT_FIRST = 0x00;
export const SELECT_NEXT = 0x02;

export const TAG_FCI = 0x6f;
export const TAG_DF_NAME = 0x84;
export const TAG_FCI_PROPRIETARY = 0xa5;
export const TAG_SD_MANAGEMENT_DATA = 0x73;
export const TAG_LIFE_CYCLE_DATA = 0x9f6e;
export const TAG_MAX_COMMAND_LENGTH = 0x9f65;

/** SELECT [by name]: `00 A4 04 00 Lc AID 00` (GPC v2.3.1 §11.9.2). */
export function selectByAid(aid: Uint8Array, opts: { next?: boolean } = {}): CommandApdu {
  checkAid(aid);
  return command(CLA_ISO, INS.SELECT, SELECT_BY_NAME, opts.next === true ? SELECT_NEXT : SELECT_FIRST, aid, 256);
}

/** SELECT of the ISD without its AID: `00 A4 04 00 00`, case 2 (GPC v2.3.1 §11.9.2.3). */
export function selectIsd(): CommandApdu {
  return command(CLA_ISO, INS.SELECT, SELECT_BY_NAME, SELECT_FIRST, new Uint8Array(0), 256);
}

export interface Fci {
  /** 84: the selected application's AID. */
  readonly aid?: Uint8Array;
  /** A5's data objects, all of them, in order. */
  readonly proprietary?: readonly Tlv[];
  /** 73 inside A5: Security Domain Management Data (GPC v2.3.1 §H.3), as its encoded value. */
  readonly sdManagementData?: Uint8Array;
  /** 9F6E inside A5: Application Production Life Cycle data. */
  readonly lifeCycleData?: Uint8Array;
  /** 9F65 inside A5: maximum length of the command data field. */
  readonly maxCommandDataLength?: number;
  /** Data objects of 6F other than 84 and A5. */
  readonly other: readonly Tlv[];
}

function malformed(msg: string): CardError {
  return new CardError('RESPONSE_MALFORMED', `FCI: ${msg}`);
}

function unsigned(value: Uint8Array): number {
  if (value.length === 0 || value.length > 4) throw malformed(`9F65 of ${value.length} bytes`);
  let n = 0;
  for (const b of value) n = n * 256 + b;
  return n;
}

/**
 * Parses a SELECT response data field. Throws `RESPONSE_MALFORMED` when it is
 * not one 6F template of valid BER-TLV. The inner templates are parsed one
 * level at a time, so an odd proprietary object deeper down cannot fail it.
 */
export function parseFci(data: Uint8Array): Fci {
  let top: Tlv[];
  try {
    top = parseTlv(data, { recursive: false });
  } catch (e) {
    throw malformed(e instanceof Error ? e.message : 'not BER-TLV');
  }
  const fci = top[0];
  if (top.length !== 1 || fci === undefined || fci.tag !== TAG_FCI) throw malformed('expected one 6F template');
  let inner: Tlv[];
  try {
    inner = parseTlv(fci.value, { recursive: false });
  } catch (e) {
    throw malformed(e instanceof Error ? e.message : '6F value not BER-TLV');
  }
  let aid: Uint8Array | undefined;
  let proprietary: Tlv[] | undefined;
  const other: Tlv[] = [];
  for (const t of inner) {
    if (t.tag === TAG_DF_NAME && aid === undefined) aid = t.value;
    else if (t.tag === TAG_FCI_PROPRIETARY && proprietary === undefined) {
      try {
        proprietary = parseTlv(t.value, { recursive: false });
      } catch (e) {
        throw malformed(e instanceof Error ? e.message : 'A5 value not BER-TLV');
      }
    } else other.push(t);
  }
  const find = (tag: number): Uint8Array | undefined => proprietary?.find((t) => t.tag === tag)?.value;
  const max = find(TAG_MAX_COMMAND_LENGTH);
  return {
    ...(aid !== undefined ? { aid } : {}),
    ...(proprietary !== undefined ? { proprietary } : {}),
    ...optional('sdManagementData', find(TAG_SD_MANAGEMENT_DATA)),
    ...optional('lifeCycleData', find(TAG_LIFE_CYCLE_DATA)),
    ...(max !== undefined ? { maxCommandDataLength: unsigned(max) } : {}),
    other,
  };
}

function optional<K extends string>(key: K, v: Uint8Array | undefined): { [P in K]?: Uint8Array } {
  return (v === undefined ? {} : { [key]: v }) as { [P in K]?: Uint8Array };
}

export interface SdFciInput {
  readonly aid: Uint8Array;
  /** 9F65, mandatory for security domains (GPC v2.3.1 table 11-82). Default 255 (FF). */
  readonly maxCommandDataLength?: number;
  /** Encoded value of 73 (Security Domain Management Data), if any. */
  readonly sdManagementData?: Uint8Array;
  /** 9F6E, if any. */
  readonly lifeCycleData?: Uint8Array;
}

/** Card side: a security domain's FCI, table 11-82 order (84, then A5 { 73, 9F6E, 9F65 }). */
export function encodeSdFci(input: SdFciInput): Uint8Array {
  checkAid(input.aid);
  const max = input.maxCommandDataLength ?? 0xff;
  if (!Number.isInteger(max) || max < 1 || max > 0xffff) {
    throw new CardError('ARGUMENT_INVALID', `max command data length out of range: ${max}`);
  }
  const maxBytes = max <= 0xff ? Uint8Array.of(max) : Uint8Array.of(max >>> 8, max & 0xff);
  const a5 = concat(
    input.sdManagementData !== undefined ? encodeTlv(TAG_SD_MANAGEMENT_DATA, input.sdManagementData) : new Uint8Array(0),
    input.lifeCycleData !== undefined ? encodeTlv(TAG_LIFE_CYCLE_DATA, input.lifeCycleData) : new Uint8Array(0),
    encodeTlv(TAG_MAX_COMMAND_LENGTH, maxBytes),
  );
  return encodeTlv(TAG_FCI, concat(encodeTlv(TAG_DF_NAME, input.aid), encodeTlv(TAG_FCI_PROPRIETARY, a5)));
}

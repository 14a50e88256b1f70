/**
 * GET DATA (GPC v2.3.1 §11.3): `80 CA P1 P2 00`, P1 P2 = the tag (P1 00 for a
 * one-byte tag). The data objects every security domain answers
 * (§11.3.2.1): 42 IIN, 45 CIN, 66 card data, E0 key information; plus
 * 9F7F CPLC, which GlobalPlatform cards answer from the ISD.
 *
 * With a GlobalPlatform CLA the response is the whole TLV (tag, length,
 * value; §11.3.3.1); `unwrapGetData` strips it. The structured parsers
 * live in their own files and are re-exported here.
 */
import { command, type CommandApdu } from '../apdu.js';
import { CardError } from '../errors.js';
import { parseTlv } from '../tlv.js';
import { CLA_GP, INS } from './constants.js';

export { parseCplc, encodeCplc, decodeCplcDate, encodeCplcDate, CPLC_FIELDS, CPLC_LENGTH } from './cplc.js';
export type { Cplc, CplcFieldName, CplcDate } from './cplc.js';
export { parseCardData, encodeCardData, decodeOid, encodeOid, GP_OID } from './card-data.js';
export type { CardData, CardDataInput, SecureChannelInfo } from './card-data.js';
export { parseKeyInformation, encodeKeyInformation, KEY_TYPE } from './key-information.js';
export type { KeyInfo, KeyComponentInfo } from './key-information.js';

/** Tags of GET DATA that Cardline uses (GPC v2.3.1 §11.3.2.1). */
export const DATA_TAG = {
  IIN: 0x42,
  CIN: 0x45,
  CARD_DATA: 0x66,
  CARD_CAPABILITY: 0x67,
  SEQUENCE_COUNTER: 0xc1,
  CURRENT_SECURITY_LEVEL: 0xd3,
  KEY_INFORMATION: 0xe0,
  CPLC: 0x9f7f,
} as const;

/** GET DATA: `80 CA <tag hi> <tag lo> 00`. Tags of 1 or 2 bytes. */
export function getData(tag: number): CommandApdu {
  if (!Number.isInteger(tag) || tag < 1 || tag > 0xffff) {
    throw new CardError('ARGUMENT_INVALID', `GET DATA tag out of range: ${tag}`);
  }
  return command(CLA_GP, INS.GET_DATA, tag >>> 8, tag & 0xff, new Uint8Array(0), 256);
}

/**
 * The value of the data object `tag` in a GET DATA response: the response
 * must be exactly that one TLV (GPC v2.3.1 §11.3.3.1). Throws
 * `RESPONSE_MALFORMED` otherwise. Used for 42, 45, C1 and the like.
 */
export function unwrapGetData(tag: number, data: Uint8Array): Uint8Array {
  let list;
  try {
    list = parseTlv(data, { recursive: false });
  } catch (e) {
    throw new CardError('RESPONSE_MALFORMED', `GET DATA: ${e instanceof Error ? e.message : 'not BER-TLV'}`);
  }
  const only = list[0];
  if (list.length !== 1 || only === undefined || only.tag !== tag) {
    throw new CardError('RESPONSE_MALFORMED', `GET DATA: expected exactly one object with tag ${tag.toString(16).toUpperCase()}`);
  }
  return only.value;
}

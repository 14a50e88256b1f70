/**
 * The ISD's data objects: GET DATA (GPC v2.3.1 §11.3) and its FCI
 * (§11.9.3.1, table 11-82).
 *
 *   9F7F  CPLC, with the card's serial in IC serial number / batch identifier
 *   66    card recognition data: GP 2.3.1, SCP03 with the card's i (§H.2)
 *   E0    key information: per key set, keys 01 ENC, 02 MAC, 03 DEK, AES (88)
 *   42    Issuer Identification Number      45  Card Image Number (the serial)
 *   C1    sequence counter of the default key version (last value sent;
 *         only with a pseudo-random challenge, §11.3.2.1)
 *   D3    current security level
 *
 * With a GlobalPlatform class byte the answer is the whole TLV; with an ISO
 * class byte only its value (§11.3.3.1). No security is required (table
 * 11-2), though inside a session the command must be protected like any
 * other.
 */
import { u24be } from '../../../card/bytes.js';
import { encodeCardData } from '../../../card/gp/card-data.js';
import { encodeCplc, encodeCplcDate } from '../../../card/gp/cplc.js';
import { encodeKeyInformation, KEY_TYPE, type KeyInfo } from '../../../card/gp/key-information.js';
import { encodeSdFci } from '../../../card/gp/select.js';
import { I_PARAM } from '../../../card/scp03/types.js';
import { SW } from '../../../card/status-words.js';
import { encodeTlv, parseTlv } from '../../../card/tlv.js';
import { securityLevel, type CommandContext } from './context.js';
import { fail, ok, type Reply } from './reply.js';
import type { CardState } from './state.js';

/** Fixed production data of the simulated chip (not a real manufacturer's codes). */
const CPLC_FIXED = {
  icFabricator: Uint8Array.of(0x43, 0x4c),
  icType: Uint8Array.of(0x53, 0x01),
  osId: Uint8Array.of(0x43, 0x4c),
  osReleaseDate: encodeCplcDate(2025, 152),
  osReleaseLevel: Uint8Array.of(0x01, 0x00),
  icFabricationDate: encodeCplcDate(2025, 200),
};

/** CPLC: IC serial number = the last 4 bytes of the serial, IC batch identifier = the 2 before them. */
export function cplcOf(state: CardState): Uint8Array {
  const padded = new Uint8Array(Math.max(6, state.serial.length));
  padded.set(state.serial, padded.length - state.serial.length);
  const n = padded.length;
  return encodeCplc({
    ...CPLC_FIXED,
    icSerialNumber: padded.slice(n - 4),
    icBatchIdentifier: padded.slice(n - 6, n - 4),
  });
}

export function cardDataOf(state: CardState): Uint8Array {
  return encodeCardData({ gpVersion: '2.3.1', secureChannels: [{ scp: 0x03, i: state.isd.i }] });
}

export function keyInformationOf(state: CardState): Uint8Array {
  const keys: KeyInfo[] = [];
  for (const ks of state.isd.keySets) {
    [ks.enc, ks.mac, ks.dek].forEach((k, idx) => {
      keys.push({ id: idx + 1, version: ks.kvn, components: [{ type: KEY_TYPE.AES, length: k.length }], format: 'basic' });
    });
  }
  return encodeKeyInformation(keys);
}

/** The ISD's FCI: 6F { 84 AID, A5 { 73 <card recognition data>, 9F65 FF } }. */
export function isdFci(state: CardState): Uint8Array {
  const card = parseTlv(cardDataOf(state), { recursive: false })[0]!;
  const recognition = parseTlv(card.value, { recursive: false })[0]!;
  return encodeSdFci({ aid: state.isd.aid, maxCommandDataLength: 0xff, sdManagementData: recognition.value });
}

/** Builds the TLV for `tag`, or undefined when the ISD holds no such object. */
function dataObject(ctx: CommandContext, tag: number): Uint8Array | undefined {
  const s = ctx.tx.view;
  switch (tag) {
    case 0x9f7f:
      return cplcOf(s);
    case 0x66:
      return cardDataOf(s);
    case 0xe0:
      return keyInformationOf(s);
    case 0x42:
      return s.isd.iin.length > 0 ? encodeTlv(0x42, s.isd.iin) : undefined;
    case 0x45:
      return encodeTlv(0x45, s.isd.cin);
    case 0xc1:
      return (s.isd.i & I_PARAM.PSEUDO_RANDOM) !== 0 ? encodeTlv(0xc1, u24be(s.isd.sequenceCounter)) : undefined;
    case 0xd3:
      return encodeTlv(0xd3, Uint8Array.of(securityLevel(ctx)));
    default:
      return undefined;
  }
}

/** GET DATA on the ISD (80 CA / 00 CA P1P2 = tag). Unknown tags: 6A88. */
export function isdGetData(ctx: CommandContext): Reply {
  const tag = (ctx.cmd.p1 << 8) | ctx.cmd.p2;
  const tlv = dataObject(ctx, tag) ?? fail(SW.REFERENCED_DATA_NOT_FOUND, 'GET DATA tag');
  if (ctx.cls.gp) return ok(tlv);
  return ok(parseTlv(tlv, { recursive: false })[0]!.value);
}

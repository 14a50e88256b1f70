/**
 * Shared GlobalPlatform codes: class bytes, instruction codes, AID rules and
 * privileges (GPC v2.3.1 §11.1). Every command file in card/gp/ builds on these.
 */
import { CardError, type CardErrorCode } from '../errors.js';

/** CLA of a GlobalPlatform command on the basic channel, no secure messaging (GPC v2.3.1 §11.1.4.1). */
export const CLA_GP = 0x80;
/** CLA of an ISO 7816 command (SELECT) on the basic channel. */
export const CLA_ISO = 0x00;

/** Instruction codes (GPC v2.3.1 chapter 11; INITIALIZE UPDATE in GPC Amd D §7.1.1). */
export const INS = {
  SELECT: 0xa4,
  GET_DATA: 0xca,
  GET_STATUS: 0xf2,
  SET_STATUS: 0xf0,
  INSTALL: 0xe6,
  PUT_KEY: 0xd8,
  STORE_DATA: 0xe2,
  DELETE: 0xe4,
  INITIALIZE_UPDATE: 0x50,
  EXTERNAL_AUTHENTICATE: 0x82,
} as const;

/** GlobalPlatform's RID and the default ISD AID (GPC v2.3.1 §H.1.2, §H.1.3). */
export const GP_RID = Uint8Array.of(0xa0, 0x00, 0x00, 0x01, 0x51);
export const DEFAULT_ISD_AID = Uint8Array.of(0xa0, 0x00, 0x00, 0x01, 0x51, 0x00, 0x00, 0x00);

/**
 * The Cardline product's personalization target application: F0 (a
 * proprietary, unregistered RID, ISO 7816-4 §8.2.1.2) ‖ "CARDLINE" ‖ 01.
 * The simulated card installs it at the factory; the host personalizes it.
 */
export const CARDLINE_APP_AID = Uint8Array.of(0xf0, 0x43, 0x41, 0x52, 0x44, 0x4c, 0x49, 0x4e, 0x45, 0x01);

/** AIDs are 5 to 16 bytes: RID (5) ‖ PIX (0..11) (ISO 7816-4 §8.2.1.2, GPC v2.3.1 table 11-43). */
export const AID_MIN = 5;
export const AID_MAX = 16;

/**
 * Throws unless `aid` is 5..16 bytes. Host builders throw `ARGUMENT_INVALID`
 * (a programming error); card-side parsers pass `COMMAND_DATA_INVALID` (6A80).
 */
export function checkAid(aid: Uint8Array, what = 'AID', code: CardErrorCode = 'ARGUMENT_INVALID'): void {
  if (aid.length < AID_MIN || aid.length > AID_MAX) {
    throw new CardError(code, `${what} of ${aid.length} bytes (expected ${AID_MIN}..${AID_MAX})`);
  }
}

/** Throws `ARGUMENT_INVALID` unless `v` is an integer in [min, max]. */
export function checkByte(v: number, what: string, min = 0, max = 0xff): void {
  if (!Number.isInteger(v) || v < min || v > max) {
    throw new CardError('ARGUMENT_INVALID', `${what} out of range: ${v}`);
  }
}

/**
 * Privileges as one 24-bit number, byte 1 in the high bits (GPC v2.3.1
 * §11.1.2, tables 11-7 to 11-9). Only the ones Cardline uses are named.
 */
export const PRIVILEGE = {
  SECURITY_DOMAIN: 0x800000,
  DAP_VERIFICATION: 0xc00000,
  DELEGATED_MANAGEMENT: 0xa00000,
  CARD_LOCK: 0x100000,
  CARD_TERMINATE: 0x080000,
  CARD_RESET: 0x040000,
  CVM_MANAGEMENT: 0x020000,
  TRUSTED_PATH: 0x008000,
  AUTHORIZED_MANAGEMENT: 0x004000,
  GLOBAL_DELETE: 0x001000,
  GLOBAL_LOCK: 0x000800,
  GLOBAL_REGISTRY: 0x000400,
  FINAL_APPLICATION: 0x000200,
} as const;

/** Hex of one byte, for messages (status bytes and parameters are not card data). */
export function byteHex(b: number): string {
  return b.toString(16).toUpperCase().padStart(2, '0');
}

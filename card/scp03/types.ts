/**
 * SCP03 value types and constants: static and session keys, security levels
 * and the "i" parameter (GPC Amd D §5.1, §7.1.1.4).
 */

/** The static key set of a security domain: Key-ENC, Key-MAC, Key-DEK and their key version number. */
export interface StaticKeys {
  readonly enc: Uint8Array;
  readonly mac: Uint8Array;
  readonly dek: Uint8Array;
  /** Key version number; 00 asks the card for the first available key (GPC v2.3.1 §E.5.1.3). */
  readonly kvn: number;
}

/** Session keys derived per session (GPC Amd D §6.2.1). There is no session DEK. */
export interface SessionKeys {
  readonly sEnc: Uint8Array;
  readonly sMac: Uint8Array;
  readonly sRmac: Uint8Array;
}

/** Security level bits, P1 of EXTERNAL AUTHENTICATE (GPC Amd D §7.1.2.1, table 7-4). */
export const SL = {
  CMAC: 0x01,
  CDEC: 0x02,
  RMAC: 0x10,
  RENC: 0x20,
} as const;

/** The only security levels SCP03 allows (GPC Amd D §7.1.2.1). */
export const VALID_LEVELS: readonly number[] = [0x00, 0x01, 0x03, 0x11, 0x13, 0x33];

/** Bits of the SCP03 "i" parameter (GPC Amd D §5.1, table 5-1). */
export const I_PARAM = {
  /** b1: S16 mode (16-byte challenges and MACs); Cardline supports S8 only. */
  S16: 0x01,
  /** b5: pseudo-random card challenge, answered with a sequence counter. */
  PSEUDO_RANDOM: 0x10,
  /** b6: R-MAC support. */
  RMAC: 0x20,
  /** b7 (with b6): R-MAC and R-ENC support. */
  RENC: 0x40,
} as const;

export function isValidLevel(level: number): boolean {
  return VALID_LEVELS.includes(level);
}

/** b7b6 of i: 01 R-MAC, 11 R-MAC and R-ENC (10 is RFU and grants neither). */
export function iSupportsRmac(i: number): boolean {
  const b7b6 = i & (I_PARAM.RMAC | I_PARAM.RENC);
  return b7b6 === I_PARAM.RMAC || b7b6 === (I_PARAM.RMAC | I_PARAM.RENC);
}

export function iSupportsRenc(i: number): boolean {
  return (i & (I_PARAM.RMAC | I_PARAM.RENC)) === (I_PARAM.RMAC | I_PARAM.RENC);
}

/** True when `level` is one of the valid levels and the card's i parameter supports its response protection. */
export function levelAllowedBy(level: number, i: number): boolean {
  if (!isValidLevel(level)) return false;
  if ((level & SL.RMAC) !== 0 && !iSupportsRmac(i)) return false;
  if ((level & SL.RENC) !== 0 && !iSupportsRenc(i)) return false;
  return true;
}

/** Lengths in S8 mode (GPC Amd D §6.2.2, §6.2.4). */
export const CHALLENGE_LEN = 8;
export const CRYPTOGRAM_LEN = 8;
export const MAC_LEN = 8;
export const KDD_LEN = 10;
export const SEQUENCE_COUNTER_LEN = 3;

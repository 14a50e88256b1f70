/**
 * The SCP03 key derivation function: NIST SP 800-108 KDF in counter mode with
 * AES-CMAC as PRF, but with GlobalPlatform's own field order (GPC Amd D §4.1.5).
 *
 *   CMAC(key, label(11×00 ‖ constant) ‖ 00 ‖ L(2, bits) ‖ i(1) ‖ context)
 *
 * SP 800-108 would put the counter first; GP puts it after L, so a generic
 * SP 800-108 implementation does not fit.
 */
import { concat, u16be } from '../bytes.js';
import { aesCmac, checkAesKey } from '../crypto.js';
import { CardError } from '../errors.js';

/** Derivation constants (GPC Amd D §4.1.5, table 4-1). */
export const KDF_CONSTANT = {
  CARD_CRYPTOGRAM: 0x00,
  HOST_CRYPTOGRAM: 0x01,
  CARD_CHALLENGE: 0x02,
  S_ENC: 0x04,
  S_MAC: 0x06,
  S_RMAC: 0x07,
} as const;

/** Derives `lengthBits` bits (a multiple of 8, at most 255 blocks) from `key`. */
export function scp03Kdf(key: Uint8Array, constant: number, lengthBits: number, context: Uint8Array): Uint8Array {
  checkAesKey(key);
  if (!Number.isInteger(constant) || constant < 0 || constant > 0xff) {
    throw new CardError('ARGUMENT_INVALID', `KDF constant out of range: ${constant}`);
  }
  if (!Number.isInteger(lengthBits) || lengthBits <= 0 || lengthBits % 8 !== 0 || lengthBits > 255 * 128) {
    throw new CardError('ARGUMENT_INVALID', `KDF output length of ${lengthBits} bits`);
  }
  const outLen = lengthBits / 8;
  const label = new Uint8Array(12);
  label[11] = constant;
  const blocks: Uint8Array[] = [];
  for (let i = 1, have = 0; have < outLen; i++) {
    const block = aesCmac(key, concat(label, Uint8Array.of(0x00), u16be(lengthBits), Uint8Array.of(i), context));
    blocks.push(block);
    have += block.length;
  }
  const all = concat(...blocks);
  const out = all.slice(0, outLen);
  all.fill(0);
  for (const b of blocks) b.fill(0);
  return out;
}

/**
 * Secret DGIs under the static Key-DEK (GPC Amd D §6.2.8 and §7.3, GPC
 * v2.3.1 §11.11.4): AES-CBC with a zero ICV over the DGI's value; tag and
 * length stay clear and the length field gives the encrypted length. The
 * secure channel then wraps the whole STORE DATA as usual.
 *
 * Padding. The value must be a whole number of 16-byte blocks. Amd D §7.3
 * says "padding of arbitrary bytes" when it is not, and leaves it to the
 * application to know the real length. Two modes, both what
 * GlobalPlatformPro's `--store-dgi-file` does (its PADDING / NOPADDING DGI
 * types, GPTool):
 *   - 'pad80' (default): ISO/IEC 9797-1 method 2, `80 00..` always added, a
 *     whole block when the value is already aligned. The card removes it
 *     unambiguously, whatever the value's length.
 *   - 'none': the value is encrypted as is and must already be aligned
 *     (AES keys of 16 or 32 bytes, §6.2.8: "no padding is required").
 * Host and card must agree per DGI (an application profile says which);
 * 'none' on an unaligned value throws rather than guessing.
 *
 * Plaintext copies this module makes are zeroized. The caller owns (and
 * zeroizes) the Dgi it passes in and the plaintext Dgi it gets back.
 */
import { zeroize } from '../bytes.js';
import { AES_BLOCK, aesCbcDecrypt, aesCbcEncrypt, checkAesKey, pad80, unpad80 } from '../crypto.js';
import { MAX_DGI_LENGTH, type Dgi } from '../dgi.js';
import { CardError } from '../errors.js';

export type DgiPadding = 'pad80' | 'none';

export interface DekOptions {
  readonly padding?: DgiPadding;
}

const ZERO_ICV = new Uint8Array(AES_BLOCK);

function dgiName(tag: number): string {
  return tag.toString(16).toUpperCase().padStart(4, '0');
}

/** Encrypts a DGI's value under Key-DEK. Throws `ARGUMENT_INVALID` for an unaligned value with padding 'none'. */
export function encryptSecretDgi(dek: Uint8Array, dgi: Dgi, opts: DekOptions = {}): Dgi {
  checkAesKey(dek);
  const padding = opts.padding ?? 'pad80';
  let plain: Uint8Array;
  if (padding === 'pad80') {
    plain = pad80(dgi.value, AES_BLOCK);
  } else {
    if (dgi.value.length % AES_BLOCK !== 0) {
      throw new CardError('ARGUMENT_INVALID', `DGI ${dgiName(dgi.tag)}: ${dgi.value.length} bytes is not a multiple of 16 (padding 'none')`);
    }
    plain = dgi.value;
  }
  if (plain.length > MAX_DGI_LENGTH) {
    if (plain !== dgi.value) zeroize(plain);
    throw new CardError('ARGUMENT_INVALID', `DGI ${dgiName(dgi.tag)}: encrypted value of ${plain.length} bytes exceeds ${MAX_DGI_LENGTH}`);
  }
  try {
    return { tag: dgi.tag, value: aesCbcEncrypt(dek, ZERO_ICV, plain) };
  } finally {
    if (plain !== dgi.value) zeroize(plain);
  }
}

/**
 * Card side: decrypts a secret DGI's value. Throws `COMMAND_DATA_INVALID`
 * (6A80) when the value is not block-aligned or, with 'pad80', when the
 * padding is wrong (a wrong DEK shows up here).
 */
export function decryptSecretDgi(dek: Uint8Array, dgi: Dgi, opts: DekOptions = {}): Dgi {
  checkAesKey(dek);
  if (dgi.value.length === 0 || dgi.value.length % AES_BLOCK !== 0) {
    throw new CardError('COMMAND_DATA_INVALID', `DGI ${dgiName(dgi.tag)}: encrypted value of ${dgi.value.length} bytes is not whole blocks`);
  }
  const plain = aesCbcDecrypt(dek, ZERO_ICV, dgi.value);
  if ((opts.padding ?? 'pad80') === 'none') return { tag: dgi.tag, value: plain };
  try {
    return { tag: dgi.tag, value: unpad80(plain, AES_BLOCK) };
  } catch {
    throw new CardError('COMMAND_DATA_INVALID', `DGI ${dgiName(dgi.tag)}: bad padding after decryption`);
  } finally {
    zeroize(plain);
  }
}

/** Length of the encrypted value for a plaintext of `n` bytes. */
export function encryptedDgiLength(n: number, padding: DgiPadding = 'pad80'): number {
  return padding === 'pad80' ? (Math.floor(n / AES_BLOCK) + 1) * AES_BLOCK : n;
}

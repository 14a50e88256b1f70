/**
 * Block-cipher primitives for GlobalPlatform secure channels and key
 * diversification: AES (ECB block, CBC, CMAC), 3DES ECB, key check values
 * and ISO/IEC 9797-1 padding method 2.
 *
 * AES and CMAC come from @noble/ciphers (pure JS, audited). 3DES is not in
 * @noble/ciphers, so `des3EcbEncrypt` is the one place in card/ that uses
 * node:crypto. No function here pads implicitly: SCP03 pads with `80 00..`
 * itself (GPC Amd D §6.2.6), so PKCS#7 is always disabled.
 */
import { createCipheriv } from 'node:crypto';
import { cbc, cmac, ecb } from '@noble/ciphers/aes.js';
import { concat } from './bytes.js';
import { CardError } from './errors.js';

export const AES_BLOCK = 16;
export const DES_BLOCK = 8;

/** Throws `KEY_INVALID` unless `key` is an AES-128/192/256 key. Never reports the key itself. */
export function checkAesKey(key: Uint8Array): void {
  if (key.length !== 16 && key.length !== 24 && key.length !== 32) {
    throw new CardError('KEY_INVALID', `AES key of ${key.length} bytes (expected 16, 24 or 32)`);
  }
}

function checkBlocks(data: Uint8Array, blockSize: number, what: string): void {
  if (data.length % blockSize !== 0) {
    throw new CardError('LENGTH_MISMATCH', `${what} of ${data.length} bytes is not a multiple of ${blockSize}`);
  }
}

function checkIv(iv: Uint8Array): void {
  if (iv.length !== AES_BLOCK) throw new CardError('LENGTH_MISMATCH', `IV of ${iv.length} bytes (expected 16)`);
}

/** AES encryption of exactly one 16-byte block (used for ICVs and KCVs). */
export function aesEcbEncryptBlock(key: Uint8Array, block16: Uint8Array): Uint8Array {
  checkAesKey(key);
  if (block16.length !== AES_BLOCK) {
    throw new CardError('LENGTH_MISMATCH', `AES block of ${block16.length} bytes (expected 16)`);
  }
  return ecb(key, { disablePadding: true }).encrypt(block16);
}

/** AES-CBC encryption without padding; `data` must already be block-aligned. */
export function aesCbcEncrypt(key: Uint8Array, iv: Uint8Array, data: Uint8Array): Uint8Array {
  checkAesKey(key);
  checkIv(iv);
  checkBlocks(data, AES_BLOCK, 'CBC plaintext');
  if (data.length === 0) return new Uint8Array(0);
  return cbc(key, iv, { disablePadding: true }).encrypt(data);
}

/** AES-CBC decryption without unpadding; `data` must be block-aligned. */
export function aesCbcDecrypt(key: Uint8Array, iv: Uint8Array, data: Uint8Array): Uint8Array {
  checkAesKey(key);
  checkIv(iv);
  checkBlocks(data, AES_BLOCK, 'CBC ciphertext');
  if (data.length === 0) return new Uint8Array(0);
  return cbc(key, iv, { disablePadding: true }).decrypt(data);
}

/** AES-CMAC (NIST SP 800-38B, RFC 4493): full 16-byte tag. Callers truncate. */
export function aesCmac(key: Uint8Array, msg: Uint8Array): Uint8Array {
  checkAesKey(key);
  return cmac(msg, key);
}

/**
 * Triple-DES ECB encryption, no padding. A 16-byte key is the double-length
 * K1‖K2 form (EMV CPS keys), used as K1‖K2‖K1.
 */
export function des3EcbEncrypt(key: Uint8Array, data: Uint8Array): Uint8Array {
  if (key.length !== 16 && key.length !== 24) {
    throw new CardError('KEY_INVALID', `3DES key of ${key.length} bytes (expected 16 or 24)`);
  }
  checkBlocks(data, DES_BLOCK, '3DES plaintext');
  const key24 = key.length === 24 ? key : concat(key, key.subarray(0, 8));
  const cipher = createCipheriv('des-ede3', key24, null);
  cipher.setAutoPadding(false);
  const head = cipher.update(data);
  const tail = cipher.final();
  const out = new Uint8Array(head.length + tail.length);
  out.set(head, 0);
  out.set(tail, head.length);
  // The output is key material when diversifying (EMV CPS): no stray copies.
  head.fill(0);
  tail.fill(0);
  if (key24 !== key) key24.fill(0);
  return out;
}

/** AES key check value: first 3 bytes of AES(key, 16×01) (GPC v2.3.1 §11.8, PUT KEY key check value). */
export function kcvAes(key: Uint8Array): Uint8Array {
  return aesEcbEncryptBlock(key, new Uint8Array(AES_BLOCK).fill(0x01)).slice(0, 3);
}

/** 3DES key check value: first 3 bytes of 3DES(key, 8×00) (GPC v2.3.1 §11.8, PUT KEY key check value). */
export function kcvDes3(key: Uint8Array): Uint8Array {
  return des3EcbEncrypt(key, new Uint8Array(DES_BLOCK)).slice(0, 3);
}

/**
 * ISO/IEC 9797-1 padding method 2: append `80`, then `00`s up to a block
 * boundary. Always pads, so aligned input gains a whole block.
 */
export function pad80(data: Uint8Array, blockSize = AES_BLOCK): Uint8Array {
  if (!Number.isInteger(blockSize) || blockSize < 1) {
    throw new CardError('ARGUMENT_INVALID', `block size ${blockSize}`);
  }
  const padded = new Uint8Array((Math.floor(data.length / blockSize) + 1) * blockSize);
  padded.set(data, 0);
  padded[data.length] = 0x80;
  return padded;
}

/**
 * Removes ISO/IEC 9797-1 method 2 padding: trailing `00`s, then a mandatory `80`.
 * Throws `PADDING_INVALID` when no `80` marker ends the data, or when the
 * padding is longer than one block (it can never be, so the data is forged or
 * decrypted under the wrong key).
 */
export function unpad80(data: Uint8Array, blockSize = AES_BLOCK): Uint8Array {
  let i = data.length - 1;
  while (i >= 0 && data[i] === 0x00) i--;
  if (i < 0 || data[i] !== 0x80) throw new CardError('PADDING_INVALID', `no 80 padding marker in ${data.length} bytes`);
  if (data.length - i > blockSize) {
    throw new CardError('PADDING_INVALID', `padding of ${data.length - i} bytes exceeds a ${blockSize}-byte block`);
  }
  return data.slice(0, i);
}

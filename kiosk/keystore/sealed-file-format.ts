/**
 * The sealed file's bytes (docs/keystore.md "Sealed file"). Pure: the
 * random source is passed in, no I/O.
 *
 *   offset  size  field
 *   0       8     magic "CLKSTORE"
 *   8       1     version = 0x01
 *   9       1     log2(N) of scrypt (RFC 7914 §2: N a power of two)
 *   10      2     r, big-endian
 *   12      2     p, big-endian
 *   14      16    salt
 *   30      24    XChaCha20 nonce (draft-irtf-cfrg-xchacha §2)
 *   54      …     XChaCha20-Poly1305 ciphertext of the bundle ‖ 16-byte tag
 *
 *   key = scrypt(password = the machine secret's bytes, salt, N, r, p, dkLen = 32)   (RFC 7914 §6)
 *   AAD = the 54 header bytes: changing a parameter, the salt or the nonce
 *         makes the tag fail, like changing the ciphertext.
 *
 * Parameters are bounded before any work (a tampered header must not make
 * the kiosk derive for hours or allocate gigabytes): log2 N 10..22, r 1..32,
 * p 1..16, 128·r·N ≤ 1 GiB.
 */
import { xchacha20poly1305 } from '@noble/ciphers/chacha.js';
import { scryptAsync } from '@noble/hashes/scrypt.js';
import { KeyStoreError } from './types.js';

export const MAGIC = Uint8Array.from('CLKSTORE', (c) => c.charCodeAt(0));
export const FORMAT_VERSION = 0x01;
export const SALT_BYTES = 16;
export const NONCE_BYTES = 24;
export const TAG_BYTES = 16;
export const HEADER_BYTES = MAGIC.length + 1 + 1 + 2 + 2 + SALT_BYTES + NONCE_BYTES;

export interface ScryptParams {
  /** log2(N). Production default 17 (N = 131072, 128 MiB, ~1.5 s in @noble/hashes); the dev PKI and tests use 14. */
  logN: number;
  r: number;
  p: number;
}

/** RFC 7914 §2's interactive-login figures raised to N = 2^17 for a once-per-boot unseal. */
export const PRODUCTION_SCRYPT: ScryptParams = { logN: 17, r: 8, p: 1 };
/** For the development PKI and the tests: N = 2^14 (16 MiB, ~0.1 s). */
export const DEV_SCRYPT: ScryptParams = { logN: 14, r: 8, p: 1 };

const MAX_MEMORY = 1024 ** 3;

export function checkScryptParams(s: ScryptParams): string | undefined {
  if (!Number.isInteger(s.logN) || s.logN < 10 || s.logN > 22) return `scrypt log2 N ${s.logN} out of 10..22`;
  if (!Number.isInteger(s.r) || s.r < 1 || s.r > 32) return `scrypt r ${s.r} out of 1..32`;
  if (!Number.isInteger(s.p) || s.p < 1 || s.p > 16) return `scrypt p ${s.p} out of 1..16`;
  if (128 * s.r * 2 ** s.logN > MAX_MEMORY) return `scrypt needs more than ${MAX_MEMORY} bytes with these parameters`;
  return undefined;
}

/** Encrypts `bundle` under the machine secret. The result is not secret; the inputs stay the caller's to zeroize. */
export async function sealBytes(bundle: Uint8Array, machineSecret: Uint8Array, params: ScryptParams, random: (n: number) => Uint8Array): Promise<Uint8Array> {
  const bad = checkScryptParams(params);
  if (bad) throw new KeyStoreError('INVALID', bad);
  const salt = random(SALT_BYTES);
  const nonce = random(NONCE_BYTES);
  if (salt.length !== SALT_BYTES || nonce.length !== NONCE_BYTES) throw new RangeError('random source returned the wrong length');
  const header = new Uint8Array(HEADER_BYTES);
  header.set(MAGIC, 0);
  const v = new DataView(header.buffer);
  v.setUint8(8, FORMAT_VERSION);
  v.setUint8(9, params.logN);
  v.setUint16(10, params.r);
  v.setUint16(12, params.p);
  header.set(salt, 14);
  header.set(nonce, 30);
  const key = await deriveKey(machineSecret, salt, params);
  try {
    const ct = xchacha20poly1305(key, nonce, header).encrypt(bundle);
    const out = new Uint8Array(HEADER_BYTES + ct.length);
    out.set(header, 0);
    out.set(ct, HEADER_BYTES);
    return out;
  } finally {
    key.fill(0);
  }
}

export interface ParsedHeader {
  params: ScryptParams;
  salt: Uint8Array;
  nonce: Uint8Array;
}

/** Checks magic, version, parameters and length. Throws KeyStoreError INVALID naming `file`. */
export function parseHeader(bytes: Uint8Array, file: string): ParsedHeader {
  if (bytes.length < HEADER_BYTES + TAG_BYTES + 1) throw new KeyStoreError('INVALID', `${file}: ${bytes.length} bytes, too short for a sealed key store (truncated?)`);
  for (let i = 0; i < MAGIC.length; i++) {
    if (bytes[i] !== MAGIC[i]) throw new KeyStoreError('INVALID', `${file}: not a Cardline sealed key store (bad magic)`);
  }
  const v = new DataView(bytes.buffer, bytes.byteOffset, HEADER_BYTES);
  if (v.getUint8(8) !== FORMAT_VERSION) throw new KeyStoreError('INVALID', `${file}: format version ${v.getUint8(8)}, this kiosk reads ${FORMAT_VERSION}`);
  const params = { logN: v.getUint8(9), r: v.getUint16(10), p: v.getUint16(12) };
  const bad = checkScryptParams(params);
  if (bad) throw new KeyStoreError('INVALID', `${file}: ${bad}`);
  return { params, salt: bytes.subarray(14, 30), nonce: bytes.subarray(30, HEADER_BYTES) };
}

/**
 * Decrypts a sealed file's bytes into a new buffer (the caller zeroizes
 * it). A wrong machine secret and any changed byte look the same to
 * Poly1305: KeyStoreError UNSEAL_FAILED.
 */
export async function openBytes(bytes: Uint8Array, machineSecret: Uint8Array, file: string, secretFile: string): Promise<Uint8Array> {
  const h = parseHeader(bytes, file);
  const key = await deriveKey(machineSecret, h.salt, h.params);
  try {
    return xchacha20poly1305(key, h.nonce, bytes.subarray(0, HEADER_BYTES)).decrypt(bytes.subarray(HEADER_BYTES));
  } catch {
    throw new KeyStoreError('UNSEAL_FAILED', `cannot open the sealed key store ${file}: the machine secret ${secretFile} is not the one it was sealed with, or the file was altered`);
  } finally {
    key.fill(0);
  }
}

/** scrypt (RFC 7914) through @noble/hashes, asynchronous so that the event loop keeps turning while it runs. */
function deriveKey(machineSecret: Uint8Array, salt: Uint8Array, s: ScryptParams): Promise<Uint8Array> {
  return scryptAsync(machineSecret, salt, { N: 2 ** s.logN, r: s.r, p: s.p, dkLen: 32, maxmem: MAX_MEMORY + 1024 * 1024 });
}

/**
 * Byte helpers shared by every room. Pure: no I/O, no clocks.
 *
 * Secrets live in Uint8Arrays so that they can be zeroized in place after use
 * (strings are immutable and would linger on the heap).
 */
import { CardError } from './errors.js';

/** Parses hex, ignoring spaces, colons and newlines. Throws `HEX_INVALID` on anything else. */
export function hex(text: string): Uint8Array {
  const clean = text.replace(/[\s:]/g, '');
  if (clean.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(clean)) {
    throw new CardError('HEX_INVALID', `not an even-length hex string (${clean.length} characters)`);
  }
  const out = new Uint8Array(clean.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(clean.slice(i * 2, i * 2 + 2), 16);
  return out;
}

/** Uppercase hex, no separators. */
export function toHex(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += b.toString(16).padStart(2, '0');
  return s.toUpperCase();
}

export function concat(...parts: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

/** Constant-time comparison for MACs and cryptograms (no early exit on the first difference). */
export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= (a[i] ?? 0) ^ (b[i] ?? 0);
  return diff === 0;
}

/** True when `bytes` begins with `prefix` (an AID and a partial AID, say). Not for secrets: it exits early. */
export function startsWith(bytes: Uint8Array, prefix: Uint8Array): boolean {
  if (prefix.length > bytes.length) return false;
  for (let i = 0; i < prefix.length; i++) if (bytes[i] !== prefix[i]) return false;
  return true;
}

/** Overwrites every buffer with zeros. Call on keys and plaintext as soon as they are no longer needed. */
export function zeroize(...buffers: (Uint8Array | undefined)[]): void {
  for (const b of buffers) b?.fill(0);
}

/** Big-endian 2 bytes. Throws `ARGUMENT_INVALID` outside 0..FFFF rather than truncating silently. */
export function u16be(n: number): Uint8Array {
  checkUint(n, 0xffff, 'u16be');
  return Uint8Array.of((n >>> 8) & 0xff, n & 0xff);
}

/** Big-endian 3 bytes. Throws `ARGUMENT_INVALID` outside 0..FFFFFF. */
export function u24be(n: number): Uint8Array {
  checkUint(n, 0xffffff, 'u24be');
  return Uint8Array.of((n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff);
}

/** Reads 2 bytes big-endian at `off`. Throws `LENGTH_MISMATCH` if they are not all there (never reads zeros past the end). */
export function readU16be(b: Uint8Array, off: number): number {
  if (!Number.isInteger(off) || off < 0 || off + 2 > b.length) {
    throw new CardError('LENGTH_MISMATCH', `readU16be at offset ${off} of ${b.length} bytes`);
  }
  return (b[off]! << 8) | b[off + 1]!;
}

function checkUint(n: number, max: number, what: string): void {
  if (!Number.isInteger(n) || n < 0 || n > max) throw new CardError('ARGUMENT_INVALID', `${what}: ${n} out of range`);
}

export function xor(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (a.length !== b.length) throw new CardError('LENGTH_MISMATCH', `xor of ${a.length} and ${b.length} bytes`);
  const out = new Uint8Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = (a[i] ?? 0) ^ (b[i] ?? 0);
  return out;
}

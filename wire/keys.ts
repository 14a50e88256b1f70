/**
 * Thin Ed25519 wrappers (RFC 8032) over @noble/curves, the one signature
 * scheme of the wire: envelopes, the reader registry, reader challenges.
 *
 * Verification is strict RFC 8032 / FIPS 186-5 (`zip215: false`): canonical
 * encodings only and S < L, so a signature cannot be mutated into a second
 * valid one. Secrets are the 32-byte seeds of RFC 8032 §5.1.5; their owner
 * zeroizes them.
 */
import { ed25519 } from '@noble/curves/ed25519.js';

export const ED25519_SECRET_BYTES = 32;
export const ED25519_PUBLIC_BYTES = 32;
export const ED25519_SIGNATURE_BYTES = 64;

/**
 * A signature by a key its holder keeps elsewhere (the center's, in OpenSSL:
 * common/ed25519.ts). Must give what `ed25519Sign` gives for that key.
 */
export type Ed25519Signer = (message: Uint8Array) => Uint8Array;
/** A check as strict as `ed25519Verify` (common/ed25519.ts NativeVerifier); never throws. */
export type Ed25519Verifier = (sig: Uint8Array, message: Uint8Array, public32: Uint8Array) => boolean;

export function ed25519PublicKey(secret32: Uint8Array): Uint8Array {
  checkLength(secret32, ED25519_SECRET_BYTES, 'Ed25519 secret key');
  return ed25519.getPublicKey(secret32);
}

export function ed25519Sign(message: Uint8Array, secret32: Uint8Array): Uint8Array {
  checkLength(secret32, ED25519_SECRET_BYTES, 'Ed25519 secret key');
  return ed25519.sign(message, secret32);
}

/** True only for a valid signature. Never throws: bad lengths, bad points and non-arrays are false. */
export function ed25519Verify(sig: Uint8Array, message: Uint8Array, public32: Uint8Array): boolean {
  if (!(sig instanceof Uint8Array) || !(message instanceof Uint8Array) || !(public32 instanceof Uint8Array)) return false;
  if (sig.length !== ED25519_SIGNATURE_BYTES || public32.length !== ED25519_PUBLIC_BYTES) return false;
  try {
    return ed25519.verify(sig, message, public32, { zip215: false });
  } catch {
    return false;
  }
}

/** A new secret from the injected random source (the room has no randomness of its own). */
export function newEd25519Secret(random: (n: number) => Uint8Array): Uint8Array {
  const secret = random(ED25519_SECRET_BYTES);
  checkLength(secret, ED25519_SECRET_BYTES, 'random source output');
  return secret;
}

function checkLength(bytes: Uint8Array, n: number, what: string): void {
  if (!(bytes instanceof Uint8Array) || bytes.length !== n) {
    throw new RangeError(`${what} must be ${n} bytes`);
  }
}

/**
 * Sealed-mode packages (DESIGN §3 "Sealed mode", §5 "Sealed bodies"): the
 * center encrypts one card's writing data and per-card keys to one kiosk's
 * X25519 sealing key; only that kiosk's black box (kiosk/keystore/) opens it.
 *
 * Construction (an ECIES in the style of RFC 9180's base mode, simplified):
 *
 *     esk, epk   = a fresh X25519 key pair per package (RFC 7748 §6.1)
 *     shared     = X25519(esk, kioskPub)            — all-zero output refused
 *     key        = HKDF-SHA256(ikm = shared, salt = epk ‖ kioskPub,
 *                              info = "cardline/package/v1", L = 32)   (RFC 5869)
 *     ct         = XChaCha20-Poly1305(key, nonce = 24 random bytes, aad, plaintext)
 *     aad        = UTF-8 JSON of [info, kiosk, job, attempt, kind, profile, deadline]
 *
 * The AAD binds the package to its kiosk, job, attempt, script kind, card
 * profile and deadline: a package moved to another job, or with a later
 * deadline, does not open. `to` (the first 8 bytes of SHA-256 of the
 * recipient's public key) is not a secret and not trusted: it only lets a
 * kiosk tell "sealed to another kiosk" from "tampered" in its refusal.
 *
 * Pure: randomness and the time are passed in.
 */
import { xchacha20poly1305 } from '@noble/ciphers/chacha.js';
import { x25519 } from '@noble/curves/ed25519.js';
import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { concat, hex, toHex, zeroize } from '../card/bytes.js';
import { decodeBase64, encodeBase64, encodeUtf8 } from './encoding.js';
import { WireError } from './errors.js';

export const PACKAGE_INFO = 'cardline/package/v1';
export const X25519_BYTES = 32;
const NONCE_BYTES = 24;

/** What the package is bound to (the AAD); the receiver rebuilds it from the message it got. */
export interface PackageBinding {
  readonly kiosk: string;
  readonly job: string;
  readonly attempt: number;
  readonly kind: 'write' | 'inspect';
  readonly profile: string;
  /** Milliseconds since the epoch: the kiosk refuses the package after it. */
  readonly deadline: number;
}

/** The sealed part of a `package` message (wire/messages.ts), as it travels. */
export interface SealedPackage {
  /** Hex of SHA-256(recipient public key)[0..8]: who it was sealed to. */
  readonly to: string;
  /** Hex of the ephemeral X25519 public key. */
  readonly epk: string;
  /** Hex of the 24-byte XChaCha20 nonce. */
  readonly nonce: string;
  /** Base64 of ciphertext ‖ 16-byte Poly1305 tag. */
  readonly ct: string;
}

/** The recipient key's short ID (`to`), upper-case hex. */
export function sealingKeyId(publicKey: Uint8Array): string {
  return toHex(sha256(publicKey).subarray(0, 8));
}

/** The X25519 public key of a sealing secret (for the center's registry). */
export function sealingPublicKey(secret: Uint8Array): Uint8Array {
  if (secret.length !== X25519_BYTES) throw new RangeError('sealing secret must be 32 bytes');
  return x25519.getPublicKey(secret);
}

function aad(b: PackageBinding): Uint8Array {
  return encodeUtf8(JSON.stringify([PACKAGE_INFO, b.kiosk, b.job, b.attempt, b.kind, b.profile, b.deadline]));
}

function packageKey(shared: Uint8Array, epk: Uint8Array, recipient: Uint8Array): Uint8Array {
  // RFC 7748 §6.1: an all-zero shared secret means a low-order point; refuse it.
  if (shared.every((x) => x === 0)) throw new WireError('undecryptable', 'package key agreement gave the all-zero secret');
  return hkdf(sha256, shared, concat(epk, recipient), encodeUtf8(PACKAGE_INFO), 32);
}

/**
 * Seals `plaintext` to `recipientPublic`. The caller owns and zeroizes
 * `plaintext`; every key derived here is zeroized before returning.
 */
export function sealPackage(plaintext: Uint8Array, recipientPublic: Uint8Array, binding: PackageBinding, random: (n: number) => Uint8Array): SealedPackage {
  if (recipientPublic.length !== X25519_BYTES) throw new RangeError('recipient public key must be 32 bytes');
  const esk = random(X25519_BYTES);
  const nonce = random(NONCE_BYTES);
  let shared: Uint8Array | undefined;
  let key: Uint8Array | undefined;
  try {
    const epk = x25519.getPublicKey(esk);
    shared = x25519.getSharedSecret(esk, recipientPublic);
    key = packageKey(shared, epk, recipientPublic);
    const ct = xchacha20poly1305(key, nonce, aad(binding)).encrypt(plaintext);
    return { to: sealingKeyId(recipientPublic), epk: toHex(epk), nonce: toHex(nonce), ct: encodeBase64(ct) };
  } finally {
    zeroize(esk, shared, key);
  }
}

/**
 * Opens a package with the kiosk's sealing secret, after checking its
 * deadline against `now`. Returns the plaintext: the caller zeroizes it.
 * Throws WireError `late` (deadline passed), `sealed-elsewhere` (sealed to
 * another key), `undecryptable` (tampered, or bound to another kiosk, job,
 * attempt, kind, profile or deadline), `malformed` (bad encoding).
 */
export function openPackage(sealed: SealedPackage, recipientSecret: Uint8Array, binding: PackageBinding, now: number): Uint8Array {
  if (recipientSecret.length !== X25519_BYTES) throw new RangeError('sealing secret must be 32 bytes');
  if (now > binding.deadline) throw new WireError('late', `package deadline passed ${now - binding.deadline} ms ago`);
  const recipient = x25519.getPublicKey(recipientSecret);
  if (sealed.to.toUpperCase() !== sealingKeyId(recipient)) throw new WireError('sealed-elsewhere', 'package sealed to another kiosk key');
  const epk = decodeHex(sealed.epk, X25519_BYTES, 'package epk');
  const nonce = decodeHex(sealed.nonce, NONCE_BYTES, 'package nonce');
  const ct = decodeBase64(sealed.ct, 'package ct');
  let shared: Uint8Array | undefined;
  let key: Uint8Array | undefined;
  try {
    shared = x25519.getSharedSecret(recipientSecret, epk);
    key = packageKey(shared, epk, recipient);
    try {
      return xchacha20poly1305(key, nonce, aad(binding)).decrypt(ct);
    } catch {
      throw new WireError('undecryptable', 'package does not open: tampered, or bound to another kiosk, job or deadline');
    }
  } catch (e) {
    if (e instanceof WireError) throw e;
    throw new WireError('undecryptable', 'package key agreement failed');
  } finally {
    zeroize(shared, key);
  }
}

function decodeHex(text: string, length: number, what: string): Uint8Array {
  if (!/^[0-9A-Fa-f]*$/.test(text) || text.length !== length * 2) throw new WireError('malformed', `${what} must be ${length} bytes of hex`);
  return hex(text);
}

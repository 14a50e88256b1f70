/**
 * The enrolment proof (docs/provisioning.md §2 step 3): the kiosk's
 * signing key's Ed25519 signature (keys.ts, RFC 8032) over the UTF-8 bytes
 * of
 *
 *   "cardline-enrol-v1\n" + kiosk + "\n" + sha256hex(csr) + "\n" + sealingPublicKey
 *
 * where sha256hex is the lower-case hex of SHA-256 (FIPS 180-4) over the
 * CSR's UTF-8 bytes exactly as sent, and sealingPublicKey is the X25519
 * public key in lower-case hex (the request schema admits nothing else, so
 * the string is canonical). It proves possession of the signing key and
 * binds it to this CSR and this sealing key; the CSR's own signature proves
 * the TLS key.
 *
 * Written once, here, for both sides: the kiosk signs (kiosk/enrol/) and
 * the center verifies (center/enrol/request.ts) the same bytes; a unit test
 * pins them (test/unit/enrol/request.test.ts).
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js';
import { ed25519Sign, ed25519Verify } from './keys.js';

export const ENROL_PROOF_CONTEXT = 'cardline-enrol-v1';
const X25519_PUBLIC_BYTES = 32;

/** The bytes the proof signs. RangeError for a sealing key that is not 32 bytes (a caller's bug). */
export function enrolProofMessage(kiosk: string, csr: string, sealingPublicKey: Uint8Array): Uint8Array {
  if (!(sealingPublicKey instanceof Uint8Array) || sealingPublicKey.length !== X25519_PUBLIC_BYTES) throw new RangeError(`sealing public key: ${X25519_PUBLIC_BYTES} bytes expected`);
  // bytesToHex is lower case.
  return utf8ToBytes(`${ENROL_PROOF_CONTEXT}\n${kiosk}\n${bytesToHex(sha256(utf8ToBytes(csr)))}\n${bytesToHex(sealingPublicKey)}`);
}

/** The proof, made with the signing key (the caller's to zeroize). */
export function signEnrolProof(signingKey: Uint8Array, kiosk: string, csr: string, sealingPublicKey: Uint8Array): Uint8Array {
  return ed25519Sign(enrolProofMessage(kiosk, csr, sealingPublicKey), signingKey);
}

/** True only when `proof` is the signing key's signature over the enrolment string. Never throws. */
export function verifyEnrolProof(proof: Uint8Array, o: { kiosk: string; csr: string; signingPublicKey: Uint8Array; sealingPublicKey: Uint8Array }): boolean {
  if (!(o.sealingPublicKey instanceof Uint8Array) || o.sealingPublicKey.length !== X25519_PUBLIC_BYTES) return false;
  return ed25519Verify(proof, enrolProofMessage(o.kiosk, o.csr, o.sealingPublicKey), o.signingPublicKey);
}

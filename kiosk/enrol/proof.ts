/**
 * The enrolment proof (docs/provisioning.md §2 step 3): the signing key's
 * Ed25519 signature over the UTF-8 bytes of
 *
 *   "cardline-enrol-v1\n" + kiosk + "\n" + sha256hex(csr) + "\n" + sealingPublicKey (lower-case hex)
 *
 * The center checks it with the same bytes (center/enrol/request.ts; the
 * rooms may not import each other, and a unit test holds the two together).
 */
import { createHash } from 'node:crypto';
import { ed25519Sign } from '../../wire/keys.js';

export const PROOF_CONTEXT = 'cardline-enrol-v1';

export function enrolProofMessage(kiosk: string, csr: string, sealingPublicKey: Uint8Array): Uint8Array {
  const csrHash = createHash('sha256').update(csr, 'utf8').digest('hex');
  return new Uint8Array(Buffer.from(`${PROOF_CONTEXT}\n${kiosk}\n${csrHash}\n${Buffer.from(sealingPublicKey).toString('hex')}`, 'utf8'));
}

/** The proof, made with the signing key (the caller's to zeroize). */
export function signEnrolProof(signingKey: Uint8Array, kiosk: string, csr: string, sealingPublicKey: Uint8Array): Uint8Array {
  return ed25519Sign(enrolProofMessage(kiosk, csr, sealingPublicKey), signingKey);
}

/**
 * Application data at rest (issue 3: "the writing data as DGIs, encrypted at
 * rest under a center key"). XChaCha20-Poly1305 (@noble/ciphers) with a
 * random 24-byte nonce per record; the application ID is the associated
 * data, so a ciphertext moved to another application's row fails to open.
 *
 * Plaintext layout: a sequence of DGIs (EMV CPS: tag u16 ‖ length ‖ value),
 * the same encoding STORE DATA carries (card/dgi.ts).
 */
import { xchacha20poly1305 } from '@noble/ciphers/chacha.js';
import { encodeDgi, parseDgis, type Dgi } from '../card/dgi.js';
import { concat, zeroize } from '../card/bytes.js';
import { CenterError } from './errors.js';

const NONCE_BYTES = 24;

export function sealDgis(key: Uint8Array, applicationId: string, dgis: readonly Dgi[], random: (n: number) => Uint8Array): { nonce: Uint8Array; sealed: Uint8Array } {
  const nonce = random(NONCE_BYTES);
  const parts = dgis.map((d) => encodeDgi(d));
  const plain = concat(...parts);
  try {
    const sealed = xchacha20poly1305(key, nonce, aad(applicationId)).encrypt(plain);
    return { nonce, sealed };
  } finally {
    zeroize(plain, ...parts);
  }
}

/** Opens an application's DGIs. The caller zeroizes the values when done. */
export function openDgis(key: Uint8Array, applicationId: string, nonce: Uint8Array, sealed: Uint8Array): Dgi[] {
  let plain: Uint8Array;
  try {
    plain = xchacha20poly1305(key, nonce, aad(applicationId)).decrypt(sealed);
  } catch {
    throw new CenterError('DATA_INTEGRITY', `application ${applicationId}: stored data does not authenticate`);
  }
  try {
    return parseDgis(plain); // values are copies (DgiStreamParser copies out of its input)
  } finally {
    plain.fill(0);
  }
}

function aad(applicationId: string): Uint8Array {
  return new TextEncoder().encode(`cardline-application-v1\0${applicationId}`);
}

/**
 * Reader authentication (DESIGN §3 step 2), the two methods' pure parts:
 * identity match (`descriptorMatches`) for devices without a key, and
 * challenge-response for devices with one. docs/reader-auth.md.
 *
 * Challenge-response: the kiosk sends a fresh
 * random challenge, the reader signs it with its identity key, and the kiosk
 * checks the signature against the key in the center-signed registry.
 *
 * The signed message is domain-separated, so a reader's signature is valid
 * for one kiosk, one reader ID and one challenge only, and can never pass
 * for an envelope or a registry:
 *
 *     "cardline-reader-auth-v1" ‖ 00 ‖ kiosk ‖ 00 ‖ readerId ‖ 00 ‖ challenge
 *
 * IDs are ASCII without 00 (ID_PATTERN), so the fields cannot run into each other.
 */
import { hex } from '../card/bytes.js';
import { ed25519Verify } from './keys.js';
import { ID_PATTERN } from './messages.js';
import type { RegistryReader } from './registry.js';

const DOMAIN = 'cardline-reader-auth-v1';
export const MIN_CHALLENGE_BYTES = 16;
export const MAX_CHALLENGE_BYTES = 64;

/** The bytes a reader signs. RangeError on a bad ID or a challenge outside 16..64 bytes. */
export function readerChallengeMessage(readerId: string, kiosk: string, challenge: Uint8Array): Uint8Array {
  if (!ID_PATTERN.test(readerId)) throw new RangeError('readerId is not an ID');
  if (!ID_PATTERN.test(kiosk)) throw new RangeError('kiosk is not an ID');
  if (!(challenge instanceof Uint8Array) || challenge.length < MIN_CHALLENGE_BYTES || challenge.length > MAX_CHALLENGE_BYTES) {
    throw new RangeError(`challenge must be ${MIN_CHALLENGE_BYTES}..${MAX_CHALLENGE_BYTES} bytes`);
  }
  const text = new TextEncoder().encode(`${DOMAIN}\0${kiosk}\0${readerId}\0`);
  const out = new Uint8Array(text.length + challenge.length);
  out.set(text);
  out.set(challenge, text.length);
  return out;
}

/**
 * 'no-key' when the registry has no key for this reader (it must be identified
 * another way, or refused); 'bad-signature' for a missing or wrong signature.
 */
export function verifyReaderSignature(entry: RegistryReader, kiosk: string, challenge: Uint8Array, signature: Uint8Array | undefined): 'ok' | 'no-key' | 'bad-signature' {
  if (entry.publicKey === null) return 'no-key';
  const message = readerChallengeMessage(entry.id, kiosk, challenge);
  // A registry entry was checked by verifyRegistry; a hand-made one may not have been.
  if (signature === undefined || !/^[0-9A-Fa-f]{64}$/.test(entry.publicKey)) return 'bad-signature';
  return ed25519Verify(signature, message, hex(entry.publicKey)) ? 'ok' : 'bad-signature';
}

/** What a device reports about itself (hardware/station.ts `DeviceDescriptor`; wire/ does not import hardware/). */
export interface ReportedDescriptor {
  readonly vendor: string;
  readonly product: string;
  readonly serial: string | null;
}

/**
 * Identity match: the device reports exactly the vendor, product and serial
 * the registry holds (byte for byte: no case folding, no trimming). A null
 * serial in the registry matches only a device that reports none. This is
 * not a proof: a device that copies another's descriptor passes it.
 */
export function descriptorMatches(entry: Pick<RegistryReader, 'vendor' | 'product' | 'serial'>, reported: ReportedDescriptor): boolean {
  return entry.vendor === reported.vendor && entry.product === reported.product && entry.serial === reported.serial;
}

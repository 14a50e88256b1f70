/**
 * The product's application key set (KVN 20), diversified from the stock
 * master key (KMC) and the card's KDD, distinct from the ISD keys.
 *
 * The same AES-CMAC construction as KDF3 (card/diversify.ts), with the key
 * type byte in the application's own range so no application key can equal
 * an ISD key of the same card:
 *
 *   K = AES-CMAC(KMC, counter ‖ 00 00 00 ‖ t ‖ 00 ‖ KDD), t = 21 ENC, 22 MAC, 23 DEK
 *
 * (KDF3 uses t = 01, 02, 03 for the ISD set; counter 01, and 02 as well for
 * a 32-byte KMC.) Whoever holds the KMC can derive both sets per card;
 * nobody else can.
 */
import { kdf3KeySet, type DiversifiedKeys } from '../diversify.js';

/** Key type bytes of the application key set (ENC, MAC, DEK). */
export const APP_KEY_TYPE = { enc: 0x21, mac: 0x22, dek: 0x23 } as const;

/** The application key set of the card with this KDD. CardError KEY_INVALID / LENGTH_MISMATCH. */
export function deriveApplicationKeys(kmc: Uint8Array, kdd10: Uint8Array): DiversifiedKeys {
  return kdf3KeySet(kmc, kdd10, APP_KEY_TYPE);
}

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
import { concat, zeroize } from '../bytes.js';
import { aesCmac } from '../crypto.js';
import { CardError } from '../errors.js';
import type { DiversifiedKeys } from '../diversify.js';

/** Key type bytes of the application key set (ENC, MAC, DEK). */
export const APP_KEY_TYPE = { enc: 0x21, mac: 0x22, dek: 0x23 } as const;

export function deriveApplicationKeys(kmc: Uint8Array, kdd10: Uint8Array): DiversifiedKeys {
  if (kmc.length !== 16 && kmc.length !== 32) throw new CardError('KEY_INVALID', `KMC of ${kmc.length} bytes (expected 16 or 32)`);
  if (kdd10.length !== 10) throw new CardError('LENGTH_MISMATCH', `KDD of ${kdd10.length} bytes (expected 10)`);
  const blocks = kmc.length / 16;
  const derive = (t: number): Uint8Array => {
    const parts: Uint8Array[] = [];
    for (let counter = 1; counter <= blocks; counter++) {
      parts.push(aesCmac(kmc, concat(Uint8Array.of(counter, 0x00, 0x00, 0x00, t, 0x00), kdd10)));
    }
    const key = concat(...parts);
    zeroize(...parts);
    return key;
  };
  return { enc: derive(APP_KEY_TYPE.enc), mac: derive(APP_KEY_TYPE.mac), dek: derive(APP_KEY_TYPE.dek) };
}

/**
 * Per-card static keys from an issuer master key (KMC) and the card's key
 * diversification data (KDD, the first 10 bytes of the INITIALIZE UPDATE
 * response).
 *
 * - EMV CPS v1.1 §5.4.2 / GPC v2.3.1 §E (3DES): double-length keys,
 *   K = 3DES(KMC)[KDD[4..9] ‖ F0 ‖ t] ‖ 3DES(KMC)[KDD[4..9] ‖ 0F ‖ t].
 * - "KDF3" (AES, as GlobalPlatformPro names it): per block
 *   K = AES-CMAC(KMC, counter ‖ 00 00 00 ‖ t ‖ 00 ‖ KDD), counter 01 (and 02
 *   for a 256-bit KMC).
 *
 * t = 01 for ENC, 02 for MAC, 03 for DEK.
 */
import { concat, zeroize } from './bytes.js';
import { aesCmac, des3EcbEncrypt } from './crypto.js';
import { CardError } from './errors.js';

export interface DiversifiedKeys {
  readonly enc: Uint8Array;
  readonly mac: Uint8Array;
  readonly dek: Uint8Array;
}

const KEY_TYPE = { enc: 0x01, mac: 0x02, dek: 0x03 } as const;
const KDD_LEN = 10;

function checkKdd(kdd: Uint8Array): void {
  if (kdd.length !== KDD_LEN) throw new CardError('LENGTH_MISMATCH', `KDD of ${kdd.length} bytes (expected 10)`);
}

/** EMV CPS diversification with a double-length 3DES KMC. Returns 16-byte 3DES keys. */
export function diversifyEmvCps(kmc16: Uint8Array, kdd10: Uint8Array): DiversifiedKeys {
  if (kmc16.length !== 16) throw new CardError('KEY_INVALID', `EMV CPS KMC of ${kmc16.length} bytes (expected 16)`);
  checkKdd(kdd10);
  const tail = kdd10.subarray(4, 10);
  const derive = (t: number): Uint8Array => {
    const input = concat(tail, Uint8Array.of(0xf0, t), tail, Uint8Array.of(0x0f, t));
    const key = des3EcbEncrypt(kmc16, input);
    zeroize(input);
    return key;
  };
  return { enc: derive(KEY_TYPE.enc), mac: derive(KEY_TYPE.mac), dek: derive(KEY_TYPE.dek) };
}

/** AES "KDF3" diversification; a 16-byte KMC gives AES-128 keys, a 32-byte KMC AES-256 keys. */
export function diversifyKdf3(kmc: Uint8Array, kdd10: Uint8Array): DiversifiedKeys {
  return kdf3KeySet(kmc, kdd10, KEY_TYPE);
}

/**
 * The KDF3 construction with the key type bytes `t` given per key (ENC, MAC,
 * DEK): the ISD set is `diversifyKdf3` (01, 02, 03); another key set of the
 * same card (card/stock/app-keys.ts) takes its own range.
 */
export function kdf3KeySet(kmc: Uint8Array, kdd10: Uint8Array, types: { readonly enc: number; readonly mac: number; readonly dek: number }): DiversifiedKeys {
  if (kmc.length !== 16 && kmc.length !== 32) {
    throw new CardError('KEY_INVALID', `KDF3 KMC of ${kmc.length} bytes (expected 16 or 32)`);
  }
  checkKdd(kdd10);
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
  return { enc: derive(types.enc), mac: derive(types.mac), dek: derive(types.dek) };
}

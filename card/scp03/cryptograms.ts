/**
 * Authentication cryptograms and the pseudo-random card challenge
 * (GPC Amd D §6.2.2), all 64-bit KDF outputs.
 */
import { concat, u24be } from '../bytes.js';
import { CardError } from '../errors.js';
import { KDF_CONSTANT, scp03Kdf } from './kdf.js';
import { checkChallenge } from './session-keys.js';
import { SEQUENCE_COUNTER_LEN } from './types.js';

const BITS_64 = 0x40;

/** Card cryptogram (GPC Amd D §6.2.2.2): KDF(S-MAC, 00, 64, host challenge ‖ card challenge). */
export function cardCryptogram(sMac: Uint8Array, hostChallenge: Uint8Array, cardChallenge: Uint8Array): Uint8Array {
  checkChallenge(hostChallenge, 'host challenge');
  checkChallenge(cardChallenge, 'card challenge');
  return scp03Kdf(sMac, KDF_CONSTANT.CARD_CRYPTOGRAM, BITS_64, concat(hostChallenge, cardChallenge));
}

/** Host cryptogram (GPC Amd D §6.2.2.3): KDF(S-MAC, 01, 64, host challenge ‖ card challenge). */
export function hostCryptogram(sMac: Uint8Array, hostChallenge: Uint8Array, cardChallenge: Uint8Array): Uint8Array {
  checkChallenge(hostChallenge, 'host challenge');
  checkChallenge(cardChallenge, 'card challenge');
  return scp03Kdf(sMac, KDF_CONSTANT.HOST_CRYPTOGRAM, BITS_64, concat(hostChallenge, cardChallenge));
}

/**
 * Pseudo-random card challenge (GPC Amd D §6.2.2.1):
 * KDF(Key-ENC, 02, 64, sequence counter(3) ‖ AID of the selected application).
 * `seqCounter3` is the 3-byte counter as sent, or its numeric value.
 */
export function pseudoRandomCardChallenge(keyEnc: Uint8Array, seqCounter3: Uint8Array | number, aid: Uint8Array): Uint8Array {
  let counter: Uint8Array;
  if (typeof seqCounter3 === 'number') {
    if (!Number.isInteger(seqCounter3) || seqCounter3 < 0 || seqCounter3 > 0xffffff) {
      throw new CardError('ARGUMENT_INVALID', `sequence counter out of range: ${seqCounter3}`);
    }
    counter = u24be(seqCounter3);
  } else {
    if (seqCounter3.length !== SEQUENCE_COUNTER_LEN) {
      throw new CardError('LENGTH_MISMATCH', `sequence counter of ${seqCounter3.length} bytes (expected 3)`);
    }
    counter = seqCounter3;
  }
  // ISO 7816-5: an AID is 5 to 16 bytes.
  if (aid.length < 5 || aid.length > 16) throw new CardError('ARGUMENT_INVALID', `AID of ${aid.length} bytes`);
  return scp03Kdf(keyEnc, KDF_CONSTANT.CARD_CHALLENGE, BITS_64, concat(counter, aid));
}

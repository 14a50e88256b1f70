/**
 * Session key derivation (GPC Amd D §6.2.1): S-ENC from Key-ENC, S-MAC and
 * S-RMAC from Key-MAC, each as long as its static key, with context
 * host challenge ‖ card challenge. Key-DEK is used as is (no session DEK).
 */
import { concat, zeroize } from '../bytes.js';
import { checkAesKey } from '../crypto.js';
import { CardError } from '../errors.js';
import { KDF_CONSTANT, scp03Kdf } from './kdf.js';
import { CHALLENGE_LEN, type SessionKeys, type StaticKeys } from './types.js';

/** Throws `KEY_INVALID` unless all three static keys are AES keys. */
export function checkStaticKeys(keys: StaticKeys): void {
  checkAesKey(keys.enc);
  checkAesKey(keys.mac);
  checkAesKey(keys.dek);
  if (!Number.isInteger(keys.kvn) || keys.kvn < 0 || keys.kvn > 0xff) {
    throw new CardError('KEY_INVALID', `key version number out of range: ${keys.kvn}`);
  }
}

export function checkChallenge(challenge: Uint8Array, what: string): void {
  if (challenge.length !== CHALLENGE_LEN) {
    throw new CardError('LENGTH_MISMATCH', `${what} of ${challenge.length} bytes (expected ${CHALLENGE_LEN})`);
  }
}

export function deriveSessionKeys(keys: StaticKeys, hostChallenge: Uint8Array, cardChallenge: Uint8Array): SessionKeys {
  checkStaticKeys(keys);
  checkChallenge(hostChallenge, 'host challenge');
  checkChallenge(cardChallenge, 'card challenge');
  const context = concat(hostChallenge, cardChallenge);
  return {
    sEnc: scp03Kdf(keys.enc, KDF_CONSTANT.S_ENC, keys.enc.length * 8, context),
    sMac: scp03Kdf(keys.mac, KDF_CONSTANT.S_MAC, keys.mac.length * 8, context),
    sRmac: scp03Kdf(keys.mac, KDF_CONSTANT.S_RMAC, keys.mac.length * 8, context),
  };
}

export function zeroizeSessionKeys(keys: SessionKeys): void {
  zeroize(keys.sEnc, keys.sMac, keys.sRmac);
}

/** SCP03 (GlobalPlatform Card Specification v2.3.1 Amendment D): host side, card side and primitives. */
export type { SessionKeys, StaticKeys } from './types.js';
export {
  CHALLENGE_LEN,
  CRYPTOGRAM_LEN,
  I_PARAM,
  iSupportsRenc,
  iSupportsRmac,
  isValidLevel,
  KDD_LEN,
  levelAllowedBy,
  MAC_LEN,
  SEQUENCE_COUNTER_LEN,
  SL,
  VALID_LEVELS,
} from './types.js';
export { KDF_CONSTANT, scp03Kdf } from './kdf.js';
export { checkStaticKeys, deriveSessionKeys, zeroizeSessionKeys } from './session-keys.js';
export { cardCryptogram, hostCryptogram, pseudoRandomCardChallenge } from './cryptograms.js';
export type { InitializeUpdateResponse } from './initialize-update.js';
export {
  encodeInitializeUpdateResponse,
  encodeSequenceCounter,
  initializeUpdateCommand,
  INS_EXTERNAL_AUTHENTICATE,
  INS_INITIALIZE_UPDATE,
  parseInitializeUpdateResponse,
  SCP03_ID,
} from './initialize-update.js';
export { CLA_SM } from './secure-messaging.js';
export type { HostOpenOptions, WrapOptions } from './host-channel.js';
export { HostSecureChannel } from './host-channel.js';
export type { CardInitOptions } from './card-channel.js';
export { CardSecureChannel } from './card-channel.js';

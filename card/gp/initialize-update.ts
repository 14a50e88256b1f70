/**
 * INITIALIZE UPDATE (GPC v2.3.1 §E.5.1 / §D.4.1, GPC Amd D §7.1.1):
 * `80 50 KVN 00 08 <host challenge> 00`. KVN 00 asks for the first
 * available key set. The SCP03 response layout and its parser live with the
 * secure channel (`../scp03/initialize-update.ts`) and are re-exported here so
 * that card/gp/ offers every command in one place.
 */
import type { CommandApdu } from '../apdu.js';
import { CardError } from '../errors.js';
import { initializeUpdateCommand } from '../scp03/initialize-update.js';
import { CHALLENGE_LEN } from '../scp03/types.js';
import { checkByte } from './constants.js';

export {
  parseInitializeUpdateResponse,
  encodeInitializeUpdateResponse,
  type InitializeUpdateResponse,
} from '../scp03/initialize-update.js';

/**
 * INITIALIZE UPDATE. `kvn` is 00 (first available) or a key version 01..7F,
 * or FF for cards still on their factory keys (GPC v2.3.1 §11.8.2.1 reserves
 * 01..7F for versions; FF appears on virgin cards). `hostChallenge8` must be
 * 8 bytes (S8 mode).
 */
export function initializeUpdate(kvn: number, hostChallenge8: Uint8Array): CommandApdu {
  checkByte(kvn, 'key version number');
  if (kvn > 0x7f && kvn !== 0xff) throw new CardError('ARGUMENT_INVALID', `key version number out of range: ${kvn}`);
  if (hostChallenge8.length !== CHALLENGE_LEN) {
    throw new CardError('ARGUMENT_INVALID', `host challenge of ${hostChallenge8.length} bytes (expected ${CHALLENGE_LEN})`);
  }
  return initializeUpdateCommand(kvn, hostChallenge8);
}

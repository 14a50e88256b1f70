/**
 * Rebuilds the host side of a card's SCP03 session from what the center
 * holds: the issuer master key, the host challenge it sent and the card's
 * INITIALIZE UPDATE response (DESIGN §3 step 5). The same inputs give the
 * same session keys, MAC chain and encryption counter every time, which is
 * what lets the center stay stateless between building a script and
 * verifying its result.
 */
import { toHex, zeroize } from '../bytes.js';
import { diversifyKdf3 } from '../diversify.js';
import { isCardError } from '../errors.js';
import { HostSecureChannel, parseInitializeUpdateResponse } from '../scp03/index.js';
import { ScriptError } from './errors.js';
import type { CardSessionInput, CardStaticKeys } from './types.js';

export interface OpenedChannel {
  /** Open, EXTERNAL AUTHENTICATE not yet built. The caller closes it. */
  readonly channel: HostSecureChannel;
  /** The card's KDD, hex upper case. */
  readonly serial: string;
  /** The key version the card used. */
  readonly kvn: number;
}

/**
 * The card-side codes of HostSecureChannel.open that mean "this card does
 * not hold the keys this profile expects" (a foreign or counterfeit card,
 * DESIGN §3 S255), as against a response that cannot be read at all.
 */
const NOT_OUR_CARD = new Set(['CARD_CRYPTOGRAM', 'CARD_CHALLENGE', 'KEY_INVALID', 'SECURITY_LEVEL']);

/**
 * Parses the IU response, diversifies the card's static keys with KDF3 and
 * checks the card cryptogram. Throws ScriptError `CARD_UNREADABLE` (bad
 * response) or `CARD_AUTHENTICATION` (wrong keys); the message carries the
 * card/ error code only. Inputs must have been checked (validate.ts).
 */
export function openChannel(input: CardSessionInput): OpenedChannel {
  let kdd: Uint8Array;
  try {
    ({ kdd } = parseInitializeUpdateResponse(input.iuResponse));
  } catch (e) {
    if (isCardError(e)) throw new ScriptError('CARD_UNREADABLE', `INITIALIZE UPDATE response of ${input.iuResponse.length} bytes: ${e.code}`);
    throw e;
  }
  // Copies either way: the finally below zeroizes what it holds, the caller owns its own keys.
  const keys = input.cardKeys !== undefined ? copyKeys(input.cardKeys) : diversifyKdf3(input.kmc!, kdd);
  try {
    const channel = HostSecureChannel.open({
      keys: { ...keys, kvn: input.profile.kvn },
      hostChallenge: input.hostChallenge,
      initUpdateResponse: input.iuResponse,
      securityLevel: input.profile.securityLevel,
      // GPC Amd D §6.2.2.1: with the AID, a pseudo-random card challenge is checked too.
      aid: input.profile.sdAid,
    });
    return { channel, serial: toHex(kdd), kvn: channel.kvn };
  } catch (e) {
    if (isCardError(e) && NOT_OUR_CARD.has(e.code)) throw new ScriptError('CARD_AUTHENTICATION', `card refused: ${e.code}`);
    if (isCardError(e)) throw new ScriptError('CARD_UNREADABLE', `card response unusable: ${e.code}`);
    throw e;
  } finally {
    // The channel holds its own session keys and its own copy of the DEK.
    zeroize(keys.enc, keys.mac, keys.dek);
  }
}

function copyKeys(k: CardStaticKeys): { enc: Uint8Array; mac: Uint8Array; dek: Uint8Array } {
  return { enc: k.enc.slice(), mac: k.mac.slice(), dek: k.dek.slice() };
}

/**
 * This card's static keys (KDF3 of the KMC and the KDD in `iuResponse`),
 * for a sealed-mode package (DESIGN §3 "Sealed mode"). The caller zeroizes
 * them. Throws ScriptError `CARD_UNREADABLE` when the response does not parse.
 */
export function cardStaticKeys(kmc: Uint8Array, iuResponse: Uint8Array): CardStaticKeys {
  let kdd: Uint8Array;
  try {
    ({ kdd } = parseInitializeUpdateResponse(iuResponse));
  } catch (e) {
    if (isCardError(e)) throw new ScriptError('CARD_UNREADABLE', `INITIALIZE UPDATE response of ${iuResponse.length} bytes: ${e.code}`);
    throw e;
  }
  return diversifyKdf3(kmc, kdd);
}

/**
 * Card authentication (DESIGN §3 step 5, the source's S260): does the card
 * in the kiosk's reader hold the keys the issuer master key gives for its
 * KDD? A card that does not is refused (S255) and nothing is written to it.
 *
 * The session opened to check the cryptogram is closed at once: the script
 * builder rebuilds it from the same inputs.
 */
import { isScriptError } from './errors.js';
import { openChannel } from './channel.js';
import type { CardSessionInput } from './types.js';
import { checkSessionInput } from './validate.js';

export type CardAuthResult =
  | { readonly ok: true; /** The card's KDD, hex upper case. */ readonly serial: string; readonly kvn: number }
  | { readonly ok: false; readonly reason: 'card-authentication' | 'card-unreadable'; readonly detail: string };

/**
 * Checks the card cryptogram. Throws ScriptError `ARGUMENT_INVALID` only for
 * the center's own inputs (KMC, challenge, profile); whatever the card sent
 * is answered with `ok: false`. `detail` holds a card/ error code, never data.
 */
export function authenticateCard(input: CardSessionInput): CardAuthResult {
  checkSessionInput(input);
  try {
    const { channel, serial, kvn } = openChannel(input);
    channel.close();
    return { ok: true, serial, kvn };
  } catch (e) {
    if (isScriptError(e, 'CARD_AUTHENTICATION')) return { ok: false, reason: 'card-authentication', detail: e.message };
    if (isScriptError(e, 'CARD_UNREADABLE')) return { ok: false, reason: 'card-unreadable', detail: e.message };
    throw e;
  }
}

/**
 * Card profiles: what the center needs to know about a card product to
 * authenticate it and personalize it (DESIGN §3 steps 5–6). The issuer
 * master key is not here: it comes from the key store per call.
 */
import { isSecretDgiTag } from '../dgi.js';
import { CARDLINE_APP_AID, DEFAULT_ISD_AID } from '../gp/constants.js';
import { ScriptError } from './errors.js';

export interface CardProfile {
  readonly name: string;
  /** AID of the security domain that holds the SCP03 keys (selected by the kiosk). */
  readonly sdAid: Uint8Array;
  /** Key version asked for in INITIALIZE UPDATE; 00 = the card's first key set (GPC v2.3.1 §E.5.1.3). */
  readonly kvn: number;
  /**
   * C-MAC, C-DECRYPTION, R-MAC and R-ENC (GPC Amd D §7.1.2.1): every command
   * and every response of the secured part is authenticated and encrypted.
   */
  readonly securityLevel: 0x33;
  /** The personalization target application. */
  readonly appAid: Uint8Array;
  /**
   * DGIs the application treats as secret beyond EMV CPS 8000..8FFF. A profile
   * can add to the secret set, never remove from it (card/dgi isSecretDgiTag).
   */
  readonly secretTags?: (tag: number) => boolean;
}

export const PROFILES: Readonly<Record<string, CardProfile>> = Object.freeze({
  'cardline-basic': Object.freeze({
    name: 'cardline-basic',
    sdAid: DEFAULT_ISD_AID,
    kvn: 0x00,
    securityLevel: 0x33,
    appAid: CARDLINE_APP_AID,
  }),
});

/** The profile called `name`. Throws ScriptError `UNKNOWN_PROFILE`. */
export function profileByName(name: string): CardProfile {
  const p = Object.prototype.hasOwnProperty.call(PROFILES, name) ? PROFILES[name] : undefined;
  if (p === undefined) throw new ScriptError('UNKNOWN_PROFILE', `no card profile named ${JSON.stringify(name.slice(0, 64))}`);
  return p;
}

/** Whether the profile's application treats `tag` as secret: EMV CPS 8000..8FFF plus the profile's own. */
export function isSecretFor(profile: CardProfile, tag: number): boolean {
  return isSecretDgiTag(tag) || profile.secretTags?.(tag) === true;
}

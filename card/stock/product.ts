/**
 * Stock products: what the 0th and 1st issuance put on a card before it goes
 * into a kiosk's hopper (docs/provisioning.md §6). A product names the card
 * profile the center issues with (card/script/profile.ts) and adds what only
 * stock preparation needs: the key versions it installs and the format of
 * the product data in EF 5001.
 *
 * The card maker's transport key is the GlobalPlatform test key 40..4F for
 * ENC, MAC and DEK at KVN 30: what card makers ship and the simulated card
 * defaults to (docs/sim-card.md). It is public, so a card holding it is
 * nobody's card until stock preparation replaces it.
 */
import { hex } from '../bytes.js';
import { CardError } from '../errors.js';
import { profileByName, PROFILES, type CardProfile } from '../script/profile.js';

/** The GlobalPlatform test key (GPC v2.3.1 §E: every card maker's default). */
export const TRANSPORT_KEY_HEX = '404142434445464748494A4B4C4D4E4F';
/** Key version of the card maker's transport key set. */
export const TRANSPORT_KVN = 0x30;
/** Key version of the product's application key set (docs/provisioning.md §6). */
export const APP_KVN = 0x20;
/** The ISD key version installed when the profile asks for "the first key set" (KVN 00). */
export const DEFAULT_ISD_KVN = 0x01;
/** Version of the EF 5001 product data layout (product-data.ts). */
export const PRODUCT_DATA_VERSION = 1;

export interface StockProduct {
  /** The product name, as the card profile and the batch manifest carry it. */
  readonly name: string;
  readonly profile: CardProfile;
  /**
   * The KVN the ISD key set gets. The profile's INITIALIZE UPDATE asks for
   * its own KVN, or for 00 = the first key set (GPC v2.3.1 §E.5.1.3): so the
   * replaced set keeps its place as the card's first set.
   */
  readonly isdKvn: number;
  readonly appKvn: number;
}

/** The stock product called `name` (a card profile name). Throws CardError `ARGUMENT_INVALID`. */
export function stockProduct(name: string): StockProduct {
  if (!Object.prototype.hasOwnProperty.call(PROFILES, name)) {
    throw new CardError('ARGUMENT_INVALID', `no card product named ${JSON.stringify(name.slice(0, 64))}`);
  }
  const profile = profileByName(name);
  return { name, profile, isdKvn: profile.kvn !== 0 ? profile.kvn : DEFAULT_ISD_KVN, appKvn: APP_KVN };
}

/** The transport key set (ENC, MAC, DEK), fresh copies the caller zeroizes. */
export function transportKeys(): { enc: Uint8Array; mac: Uint8Array; dek: Uint8Array; kvn: number } {
  return { enc: hex(TRANSPORT_KEY_HEX), mac: hex(TRANSPORT_KEY_HEX), dek: hex(TRANSPORT_KEY_HEX), kvn: TRANSPORT_KVN };
}

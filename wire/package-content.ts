/**
 * What a sealed-mode package holds, in bytes (never a JavaScript string,
 * which cannot be wiped): one card's static SCP03 keys and the job's DGIs.
 *
 *     01                      format version
 *     L                       key length: 16 or 32
 *     Key-ENC (L) ‖ Key-MAC (L) ‖ Key-DEK (L)     GPC Amd D §6.2.1
 *     DGI*                    the writing data (GPC CPS DGI encoding, card/dgi.ts)
 *
 * The kiosk needs exactly this to run the card's SCP03 session itself and
 * build the script the center would have built (card/script/): the host
 * challenge and the card's INITIALIZE UPDATE response it already holds.
 */
import { concat, zeroize } from '../card/bytes.js';
import type { Dgi } from '../card/dgi.js';
import { encodeDgis, parseDgis } from '../card/dgi.js';
import { isCardError } from '../card/errors.js';
import type { CardStaticKeys } from '../card/script/types.js';
import { WireError } from './errors.js';

const VERSION = 0x01;

export interface PackageContent {
  readonly keys: CardStaticKeys;
  readonly dgis: Dgi[];
}

/** The plaintext of a package. The caller zeroizes it after sealing. */
export function encodePackageContent(c: PackageContent): Uint8Array {
  const n = c.keys.enc.length;
  if ((n !== 16 && n !== 32) || c.keys.mac.length !== n || c.keys.dek.length !== n) throw new RangeError('card keys must be three keys of 16 or 32 bytes');
  const dgis = encodeDgis(c.dgis);
  try {
    return concat(Uint8Array.of(VERSION, n), c.keys.enc, c.keys.mac, c.keys.dek, dgis);
  } finally {
    zeroize(dgis);
  }
}

/**
 * Parses a package's plaintext into copies (the caller zeroizes both the
 * plaintext and what this returns: `zeroizePackageContent`). Throws WireError
 * `malformed` naming the defect, never a value.
 */
export function decodePackageContent(plain: Uint8Array): PackageContent {
  if (plain.length < 2 || plain[0] !== VERSION) throw new WireError('malformed', 'package content: unknown format');
  const n = plain[1]!;
  if (n !== 16 && n !== 32) throw new WireError('malformed', `package content: key length ${n}`);
  if (plain.length < 2 + 3 * n + 3) throw new WireError('malformed', 'package content: truncated');
  const at = (i: number): Uint8Array => plain.slice(2 + i * n, 2 + (i + 1) * n);
  const keys = { enc: at(0), mac: at(1), dek: at(2) };
  let dgis: Dgi[];
  try {
    dgis = parseDgis(plain.subarray(2 + 3 * n));
  } catch (e) {
    zeroize(keys.enc, keys.mac, keys.dek);
    if (isCardError(e)) throw new WireError('malformed', `package content: ${e.code}`);
    throw e;
  }
  return { keys, dgis };
}

/** Overwrites every key and DGI value of `c`. */
export function zeroizePackageContent(c: PackageContent): void {
  zeroize(c.keys.enc, c.keys.mac, c.keys.dek, ...c.dgis.map((d) => d.value));
}

/**
 * The product data a prepared card carries in EF 5001 under DF 5000 (the
 * issuer's working DF of the card's file system, docs/sim-card.md): which
 * product the card is, which batch it came in and the layout version, as a
 * small BER-TLV template (ISO 7816-4 §5.2, private-class tags), zero-padded
 * to the EF's 128 bytes:
 *
 *   E1 L { DF01 <product, ASCII> DF02 <batch ID, ASCII> DF03 01 <version> } 00 ...
 *
 * Nothing in it is secret: it is written under C-MAC (and C-DECRYPTION, as
 * the whole preparation session is) and read freely.
 */
import { concat } from '../bytes.js';
import { CardError } from '../errors.js';
import { encodeTlv, parseTlv } from '../tlv.js';
import { PRODUCT_DATA_VERSION } from './product.js';

/** DF 5000 / EF 5001 (the card's file system layout). */
export const PRODUCT_DF = 0x5000;
export const PRODUCT_EF = 0x5001;
/** Size of the transparent EF 5001. */
export const PRODUCT_EF_SIZE = 128;

export const TAG_PRODUCT_TEMPLATE = 0xe1;
export const TAG_PRODUCT_NAME = 0xdf01;
export const TAG_BATCH_ID = 0xdf02;
export const TAG_FORMAT_VERSION = 0xdf03;

/** A batch ID: as the center's card_batches table accepts it. */
export const BATCH_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
/** A product name: a card profile name. */
export const PRODUCT_NAME_PATTERN = /^[a-z0-9][a-z0-9-]{0,31}$/;

export interface ProductData {
  readonly product: string;
  readonly batch: string;
  readonly version: number;
}

const ascii = new TextEncoder();
const fromAscii = new TextDecoder('ascii', { fatal: true });

/** The 128 bytes written to EF 5001. Throws CardError `ARGUMENT_INVALID` for a bad product or batch. */
export function encodeProductData(d: { product: string; batch: string }): Uint8Array {
  if (!PRODUCT_NAME_PATTERN.test(d.product)) throw new CardError('ARGUMENT_INVALID', 'product name: 1..32 of [a-z0-9-]');
  if (!BATCH_ID_PATTERN.test(d.batch)) throw new CardError('ARGUMENT_INVALID', 'batch ID: 1..64 of [A-Za-z0-9._-], starting with a letter or digit');
  const tlv = encodeTlv(
    TAG_PRODUCT_TEMPLATE,
    concat(encodeTlv(TAG_PRODUCT_NAME, ascii.encode(d.product)), encodeTlv(TAG_BATCH_ID, ascii.encode(d.batch)), encodeTlv(TAG_FORMAT_VERSION, Uint8Array.of(PRODUCT_DATA_VERSION))),
  );
  const out = new Uint8Array(PRODUCT_EF_SIZE);
  out.set(tlv, 0);
  return out;
}

/** Reads EF 5001's content back. Throws CardError `RESPONSE_MALFORMED` when it holds no valid template. */
export function parseProductData(bytes: Uint8Array): ProductData {
  const malformed = (what: string): CardError => new CardError('RESPONSE_MALFORMED', `EF 5001: ${what}`);
  let top;
  try {
    // The zero padding after the template (ISO 7816-4 §5.2: 00 bytes before, between and after objects).
    top = parseTlv(bytes, { recursive: false, padding: true });
  } catch {
    throw malformed('not BER-TLV');
  }
  const template = top[0];
  if (template?.tag !== TAG_PRODUCT_TEMPLATE) throw malformed('no E1 template');
  let inner;
  try {
    inner = parseTlv(template.value, { recursive: false });
  } catch {
    throw malformed('E1 value not BER-TLV');
  }
  const one = (tag: number): Uint8Array => {
    const found = inner.filter((t) => t.tag === tag);
    if (found.length !== 1) throw malformed(`${found.length} objects with tag ${tag.toString(16).toUpperCase()}`);
    return found[0]!.value;
  };
  const version = one(TAG_FORMAT_VERSION);
  if (version.length !== 1) throw malformed('format version of more than one byte');
  try {
    return { product: fromAscii.decode(one(TAG_PRODUCT_NAME)), batch: fromAscii.decode(one(TAG_BATCH_ID)), version: version[0]! };
  } catch (e) {
    if (e instanceof CardError) throw e;
    throw malformed('not ASCII');
  }
}

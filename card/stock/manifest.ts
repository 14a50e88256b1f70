/**
 * The batch manifest `cardline stock prepare` writes and `cardline center
 * stock register` reads (docs/provisioning.md §6):
 *
 *   { "v": 1, "batch": "B-2024-07", "product": "cardline-basic",
 *     "createdAt": "2024-07-01T09:00:00.000Z",
 *     "cards": [{ "serial": "CA4D000000000001", "kdd": "0000CA4D000000000001" }, ...] }
 *
 * `kdd` is the card's key diversification data as card authentication
 * reports it (card/script/card-auth.ts `serial`: 20 upper-case hex digits);
 * it is what the center registers. `serial` is the card maker's label.
 * Pure: one validator for both sides, no I/O.
 */
import { BATCH_ID_PATTERN, PRODUCT_NAME_PATTERN } from './product-data.js';

export const MANIFEST_VERSION = 1;
/** Most cards one manifest may list (the hopper's own limit). */
export const MAX_MANIFEST_CARDS = 100_000;
export const KDD_PATTERN = /^[0-9A-F]{20}$/;
/** A card's label: its serial, 4..10 bytes of upper-case hex. */
export const CARD_SERIAL_PATTERN = /^(?:[0-9A-F]{2}){4,10}$/;

export interface ManifestCard {
  readonly serial: string;
  readonly kdd: string;
}

export interface BatchManifest {
  readonly v: typeof MANIFEST_VERSION;
  readonly batch: string;
  readonly product: string;
  /** ISO 8601 UTC. */
  readonly createdAt: string;
  readonly cards: readonly ManifestCard[];
}

/** An ISO 8601 UTC time as Date.toISOString writes it (checked by pattern: card/ has no clock or Date). */
const ISO_UTC = /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])T([01]\d|2[0-3]):[0-5]\d:[0-5]\d(\.\d{1,3})?Z$/;

export class ManifestError extends Error {
  override readonly name = 'ManifestError';
  readonly code = 'MANIFEST_INVALID';
  constructor(message: string) {
    super(`MANIFEST_INVALID: ${message}`);
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function onlyKeys(o: Record<string, unknown>, keys: readonly string[], what: string): void {
  const extra = Object.keys(o).find((k) => !keys.includes(k));
  if (extra !== undefined) throw new ManifestError(`${what}: unknown field ${JSON.stringify(extra.slice(0, 32))}`);
}

/**
 * Checks a parsed manifest, field by field; throws ManifestError naming the
 * first defect (and the card's index, never its values beyond the field).
 */
export function checkManifest(value: unknown): BatchManifest {
  if (!isObject(value)) throw new ManifestError('not a JSON object');
  onlyKeys(value, ['v', 'batch', 'product', 'createdAt', 'cards'], 'manifest');
  if (value.v !== MANIFEST_VERSION) throw new ManifestError(`v must be ${MANIFEST_VERSION}`);
  const { batch, product, createdAt, cards } = value;
  if (typeof batch !== 'string' || !BATCH_ID_PATTERN.test(batch)) throw new ManifestError('batch: 1..64 of [A-Za-z0-9._-], starting with a letter or digit');
  if (typeof product !== 'string' || !PRODUCT_NAME_PATTERN.test(product)) throw new ManifestError('product: 1..32 of [a-z0-9-]');
  if (typeof createdAt !== 'string' || !ISO_UTC.test(createdAt)) {
    throw new ManifestError('createdAt: an ISO 8601 UTC time');
  }
  if (!Array.isArray(cards) || cards.length === 0 || cards.length > MAX_MANIFEST_CARDS) throw new ManifestError(`cards: a list of 1..${MAX_MANIFEST_CARDS} cards`);
  const kdds = new Set<string>();
  const serials = new Set<string>();
  const out: ManifestCard[] = cards.map((c: unknown, i) => {
    if (!isObject(c)) throw new ManifestError(`cards[${i}]: not an object`);
    onlyKeys(c, ['serial', 'kdd'], `cards[${i}]`);
    if (typeof c.serial !== 'string' || !CARD_SERIAL_PATTERN.test(c.serial)) throw new ManifestError(`cards[${i}].serial: 8..20 upper-case hex digits`);
    if (typeof c.kdd !== 'string' || !KDD_PATTERN.test(c.kdd)) throw new ManifestError(`cards[${i}].kdd: 20 upper-case hex digits`);
    if (kdds.has(c.kdd)) throw new ManifestError(`cards[${i}].kdd: listed twice`);
    if (serials.has(c.serial)) throw new ManifestError(`cards[${i}].serial: listed twice`);
    kdds.add(c.kdd);
    serials.add(c.serial);
    return { serial: c.serial, kdd: c.kdd };
  });
  return { v: MANIFEST_VERSION, batch, product, createdAt, cards: out };
}

/** Parses manifest text (JSON) and checks it. */
export function parseManifest(text: string): BatchManifest {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new ManifestError('not JSON');
  }
  return checkManifest(value);
}

/** The manifest as its file holds it (2-space JSON, newline-terminated). */
export function encodeManifest(m: BatchManifest): string {
  return `${JSON.stringify(checkManifest(m), null, 2)}\n`;
}

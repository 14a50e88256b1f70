/**
 * Strict decoders for what arrives from the network: base64, UTF-8 and JSON.
 * Each refuses with WireError 'malformed' and never echoes the input.
 *
 * - Base64 is RFC 4648 §4 (standard alphabet, '=' padding) and canonical:
 *   no whitespace, no URL-safe characters, no missing padding and no
 *   non-zero pad bits (RFC 4648 §3.5), so one byte string has exactly one
 *   encoding.
 * - UTF-8 is decoded fatally: an invalid sequence is refused, not replaced.
 * - JSON is plain `JSON.parse` (no reviver), then a hygiene walk: no
 *   `__proto__` key at any depth (JSON.parse makes it an own property,
 *   which a later `Object.assign` or spread would turn into a prototype)
 *   and nesting of at most MAX_JSON_DEPTH (no message nests deeper than 4).
 */
import { WireError } from './errors.js';

export const MAX_JSON_DEPTH = 32;

const BASE64_SHAPE = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

export function encodeBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

/** Decodes canonical base64 only. `what` names the field in the refusal. */
export function decodeBase64(text: string, what: string): Uint8Array {
  if (!BASE64_SHAPE.test(text)) throw new WireError('malformed', `${what}: not base64`);
  const bytes = Buffer.from(text, 'base64');
  // The shape is right; re-encoding catches non-zero pad bits ("QR==" for "QQ==").
  if (bytes.toString('base64') !== text) throw new WireError('malformed', `${what}: non-canonical base64`);
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

export function decodeUtf8(bytes: Uint8Array, what: string): string {
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    throw new WireError('malformed', `${what}: not UTF-8`);
  }
}

export function encodeUtf8(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}

/** UTF-8 bytes → JSON value, with the hygiene walk above. */
export function parseJsonBytes(bytes: Uint8Array, what: string): unknown {
  const text = decodeUtf8(bytes, what);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new WireError('malformed', `${what}: not JSON`);
  }
  checkHygiene(value, what);
  return value;
}

/** Iterative (an explicit stack), so hostile nesting cannot overflow the call stack. */
function checkHygiene(root: unknown, what: string): void {
  const stack: { value: unknown; depth: number }[] = [{ value: root, depth: 0 }];
  for (let item = stack.pop(); item !== undefined; item = stack.pop()) {
    const { value, depth } = item;
    if (typeof value !== 'object' || value === null) continue;
    if (depth >= MAX_JSON_DEPTH) throw new WireError('malformed', `${what}: nested deeper than ${MAX_JSON_DEPTH}`);
    if (Array.isArray(value)) {
      for (const v of value as unknown[]) stack.push({ value: v, depth: depth + 1 });
      continue;
    }
    for (const key of Object.keys(value)) {
      if (key === '__proto__') throw new WireError('malformed', `${what}: __proto__ key`);
      stack.push({ value: (value as Record<string, unknown>)[key], depth: depth + 1 });
    }
  }
}

/**
 * Looks for a customer's personal data in bytes the broker kept (its
 * persistence file): the cardholder's name, the one-time code and every
 * DGI value of the application, as raw bytes, as hex (either case) and
 * inside every base64 run (a protocol envelope carries its JSON in base64,
 * wire/envelope.ts), plus any protocol envelope at all (`{"e":"`).
 */
import { toHex } from '../../../card/bytes.js';
import type { TestApplication } from '../e2e/local-rig.js';

/** What of `app` appears in `bytes`: a list of findings, empty when none. */
export function personalDataIn(bytes: Uint8Array, apps: readonly TestApplication[]): string[] {
  const buf = Buffer.from(bytes);
  // Every base64 run long enough to hold something, decoded (at each of its own alignments it decodes from its start).
  const decoded = [...buf.toString('latin1').matchAll(/[A-Za-z0-9+/]{16,}={0,2}/g)].map((m) => Buffer.from(m[0], 'base64'));
  const hay = [buf, ...decoded];
  const found: string[] = [];
  for (const app of apps) {
    const needles: [string, Buffer][] = [
      ['cardholder name', Buffer.from(app.cardholder)],
      ['one-time code', Buffer.from(app.input.code)],
    ];
    for (const d of app.input.dgis) {
      if (d.value.length < 4) continue;
      const tag = d.tag.toString(16).padStart(4, '0');
      needles.push([`DGI ${tag} bytes`, Buffer.from(d.value)], [`DGI ${tag} hex`, Buffer.from(toHex(d.value))], [`DGI ${tag} hex (lower case)`, Buffer.from(toHex(d.value).toLowerCase())]);
    }
    for (const [what, needle] of needles) if (hay.some((h) => h.includes(needle))) found.push(`${app.input.id}: ${what}`);
  }
  if (buf.includes(Buffer.from('{"e":"'))) found.push('a protocol envelope');
  return found;
}

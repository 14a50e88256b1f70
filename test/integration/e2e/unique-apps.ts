/**
 * Applications for the no-persistence test (no-card-data.test.ts) in the
 * demo's shape (cli/card-demo/sample.ts: DGIs 0101, 0201, 9102 plain; 8000
 * keys and 8010 PIN block secret), in which every DGI value is this
 * application's own: a cardholder name and card number in 0101, random
 * issuer data in 0201, a random preferred name in 9102, random keys, a PIN
 * block of 12 random digits. A value found anywhere can then only have come
 * from that application, and no value is short enough to turn up in a file
 * by chance. Codes are 12 random characters.
 */
import { randomBytes } from 'node:crypto';
import { concat } from '../../../card/bytes.js';
import { encodeTlv } from '../../../card/tlv.js';
import { demoApplications, type DemoApplication } from '../../../cli/demo/sample-apps.js';

/** An application, and the personal-data fields inside its DGI 0101. */
export type UniqueApplication = DemoApplication & { cardholder: string; pan: Uint8Array };

const random = (n: number): Uint8Array => new Uint8Array(randomBytes(n));
const text = (s: string): Uint8Array => new TextEncoder().encode(s);
/** Without 0/O, 1/l/I; 36 of the 56 are not hex digits, so a code is (almost surely) no part of a hex dump. */
const CODE_CHARS = 'ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz23456789';
const letters = (n: number): string => Array.from(random(n), (b) => String.fromCharCode(65 + (b % 26))).join('');

export function uniqueApps(n: number, prefix: string): UniqueApplication[] {
  return demoApplications(n, random, prefix).map((a, i) => {
    const cardholder = `TESTER/${letters(10)}`;
    const pan = Uint8Array.from([0x62, ...random(7)]);
    const values: Record<number, Uint8Array> = {
      0x0101: encodeTlv(0x70, concat(encodeTlv(0x5f20, text(cardholder)), encodeTlv(0x5a, pan), encodeTlv(0x5f24, Uint8Array.of(0x30, 0x12, 0x31)))),
      // Issuer country, then 8 bytes of issuer discretionary data of this card alone.
      0x0201: encodeTlv(0x70, concat(encodeTlv(0x5f28, Uint8Array.of(0x03, 0x92)), encodeTlv(0x9f0d, random(8)))),
      // FCI proprietary template: label and an application preferred name of its own.
      0x9102: encodeTlv(0xa5, concat(encodeTlv(0x50, text('CARDLINE')), encodeTlv(0x9f12, text(`CL ${letters(12)}`)))),
      // ISO 9564 format 2: control 2, length 12, twelve random digits, F padding.
      0x8010: Uint8Array.from([0x2c, ...Array.from(random(6), (b) => (((b >> 4) % 10) << 4) | (b & 0x0f) % 10), 0xff]),
    };
    const dgis = a.input.dgis.map((d) => ({ tag: d.tag, value: values[d.tag] ?? d.value }));
    const code = Array.from(random(12), (b) => CODE_CHARS[b % CODE_CHARS.length]).join('');
    return { ...a, input: { ...a.input, id: `${prefix}-${String(i + 1).padStart(2, '0')}`, code, dgis }, cardholder, pan };
  });
}

/**
 * The demo's sample application: what a center would hold as writing data
 * for one customer. Personal-data values are made up; secret DGIs are fresh
 * random keys and a PIN block made per run, never printed.
 *
 * DGIs (EMV CPS naming):
 *   0101  record SFI 1 #1: cardholder name, card number, expiry (template 70)
 *   0201  record SFI 2 #1: issuer data (template 70)
 *   9102  SELECT response proprietary data (template A5)
 *   8000  secret: three AES-128 application keys (48 bytes)
 *   8010  secret: the PIN block (ISO 9564 format 2, 8 bytes)
 */
import type { Dgi } from '../../card/dgi.js';
import { encodeTlv } from '../../card/tlv.js';
import { concat } from '../../card/bytes.js';
import { CARDLINE_APP_AID } from '../../card/gp/constants.js';

const text = (s: string): Uint8Array => new TextEncoder().encode(s);

/** The demo personalizes the Cardline application the card maker installed. */
export const DEMO_APP_AID = CARDLINE_APP_AID;

export interface SampleApplication {
  readonly dgis: Dgi[];
  /** Tags that the card must refuse to read back. */
  readonly secretTags: number[];
}

/** Builds the sample writing data. `random` supplies the secret keys. */
export function sampleApplication(random: (n: number) => Uint8Array): SampleApplication {
  const record1 = encodeTlv(
    0x70,
    concat(
      encodeTlv(0x5f20, text('SATO/HANAKO')), // cardholder name
      encodeTlv(0x5a, Uint8Array.from([0x62, 0x00, 0x00, 0x00, 0x12, 0x34, 0x56, 0x78])), // card number
      encodeTlv(0x5f24, Uint8Array.from([0x30, 0x12, 0x31])), // expiry YYMMDD
      encodeTlv(0x5f25, Uint8Array.from([0x26, 0x11, 0x21])), // effective date
    ),
  );
  const record2 = encodeTlv(0x70, concat(encodeTlv(0x5f28, Uint8Array.from([0x03, 0x92])), encodeTlv(0x9f07, Uint8Array.from([0xff, 0x00]))));
  const fciProprietary = encodeTlv(0xa5, concat(encodeTlv(0x50, text('CARDLINE')), encodeTlv(0x87, Uint8Array.of(1))));
  // ISO 9564 format 2 PIN block: 2 | length | four random PIN digits | F padding.
  const d = Array.from(random(4), (b) => b % 10);
  const pin = Uint8Array.from([0x24, (d[0]! << 4) | d[1]!, (d[2]! << 4) | d[3]!, 0xff, 0xff, 0xff, 0xff, 0xff]);
  return {
    dgis: [
      { tag: 0x0101, value: record1 },
      { tag: 0x0201, value: record2 },
      { tag: 0x9102, value: fciProprietary },
      { tag: 0x8000, value: random(48) },
      { tag: 0x8010, value: pin },
    ],
    secretTags: [0x8000, 0x8010],
  };
}

/**
 * Read-back checks of a personalized application (docs/sim-card.md,
 * "Personalization target application"), sent in plain after SELECT of the
 * application: the application has no secure channel of its own.
 *
 * - A non-secret record DGI (EMV CPS SFI ‖ record, SFI 01..1E, record
 *   01..FE) is read with READ RECORD; any other non-secret DGI with GET DATA.
 * - A secret DGI is never read. When it is key-shaped (one AES key of 16, 24
 *   or 32 bytes, or a row of AES-128 keys: a multiple of 16 above 32), its
 *   key check values are asked for with GET DATA and the tag list 5C 01 84
 *   (GPC v2.3.1 table 11-92, tag 84 "key check value"). Never for the PIN DGI
 *   8010: a KCV of a PIN would be an offline oracle for it.
 * - Other secret DGIs (a PIN, odd lengths) cannot be checked from outside.
 */
import { command, type CommandApdu } from '../apdu.js';
import { concat } from '../bytes.js';
import { kcvAes } from '../crypto.js';
import { PIN_DGI, type Dgi } from '../dgi.js';
import { CLA_GP, CLA_ISO, INS } from '../gp/constants.js';

const INS_READ_RECORD = 0xb2;
/** GET DATA data field: a tag list asking for tag 84, the key check value. */
export const KCV_REQUEST = Uint8Array.of(0x5c, 0x01, 0x84);
const TAG_KCV = 0x84;

export type ReadBackCheck = { readonly kind: 'read-back'; readonly cmd: CommandApdu } | { readonly kind: 'kcv'; readonly cmd: CommandApdu } | undefined;

function isRecordDgi(tag: number): boolean {
  const sfi = tag >>> 8;
  const rec = tag & 0xff;
  return sfi >= 0x01 && sfi <= 0x1e && rec >= 0x01 && rec <= 0xfe;
}

export function isKeyShaped(length: number): boolean {
  return length === 16 || length === 24 || length === 32 || (length > 32 && length % 16 === 0);
}

/** The check for one DGI, or undefined when it cannot be checked (a PIN, an odd-sized secret). */
export function readBackCheck(dgi: Dgi, secret: boolean): ReadBackCheck {
  const hi = dgi.tag >>> 8;
  const lo = dgi.tag & 0xff;
  if (secret) {
    if (dgi.tag === PIN_DGI || !isKeyShaped(dgi.value.length)) return undefined;
    return { kind: 'kcv', cmd: command(CLA_GP, INS.GET_DATA, hi, lo, KCV_REQUEST, 256) };
  }
  if (isRecordDgi(dgi.tag)) {
    // ISO 7816-4 §11.3.3: P1 record number, P2 SFI << 3 | 100 (P1 is a record number).
    return { kind: 'read-back', cmd: command(CLA_ISO, INS_READ_RECORD, lo, (hi << 3) | 0x04, new Uint8Array(0), 256) };
  }
  return { kind: 'read-back', cmd: command(CLA_GP, INS.GET_DATA, hi, lo, new Uint8Array(0), 256) };
}

/** AES(key, 16×01)[0..3] per key (GPC Amd D §7.2): one key, or each 16 bytes of a row of AES-128 keys. */
export function expectedKcvs(value: Uint8Array): Uint8Array {
  if (value.length <= 32) return kcvAes(value);
  const parts: Uint8Array[] = [];
  for (let off = 0; off < value.length; off += 16) parts.push(kcvAes(value.subarray(off, off + 16)));
  return concat(...parts);
}

/** The KCVs in a GET DATA answer: the bare value, or one TLV 84 around it (GP class answers carry the TLV). */
export function kcvsOf(data: Uint8Array): Uint8Array {
  return data.length >= 2 && data[0] === TAG_KCV && data[1] === data.length - 2 ? data.subarray(2) : data;
}

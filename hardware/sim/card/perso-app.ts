/**
 * The personalization target application: it receives DGIs by STORE DATA
 * (through the ISD, GPC v2.3.1 §7.3.2, §11.11) and answers read-back once
 * selected.
 *
 * Storing (called by isd-perso.ts for each completed DGI):
 * - Secret DGIs (card/dgi isSecretDgiTag: EMV CPS 8000..8FFF) always arrive
 *   encrypted under the session's static Key-DEK (AES-CBC, zero ICV, `80`
 *   padding; card/gp dek.ts), whatever P1 says: the application knows its
 *   secret DGIs (EMV CPS). They are decrypted and kept, never readable.
 * - Other DGIs are plain, unless P1 b7b6 = 11 says every value in the
 *   command is encrypted; then they are decrypted too.
 * - A DGI sent again replaces the earlier value. Values beyond the
 *   application's memory (default 32 KB) are 6A84.
 *
 * Read-back (the application selected, no secure channel needed):
 * - GET DATA `00|80 CA <DGI> 00` returns the value of a non-secret DGI as it
 *   was stored (value only, no tag or length); 6A88 if absent.
 * - GET DATA of a secret DGI is 6982, stored or not (no existence oracle).
 * - Key check values: GET DATA `80 CA <DGI> 03 5C 01 84 00` (a tag list
 *   asking for tag 84, "key check value" in GPC v2.3.1 table 11-92) returns
 *   the KCV of a secret DGI: 3 bytes of AES(key, 16×01) (GPC Amd D §7.2) for
 *   a 16/24/32-byte value, or 3 bytes per 16-byte key when the value holds
 *   several AES-128 keys (length a multiple of 16 above 32). A secret DGI of
 *   another length has no KCV (6A88); nor has the PIN DGI 8010 whatever its
 *   length (a KCV of a PIN would let anyone try every PIN offline), nor a
 *   DGI that is not secret.
 * - READ RECORD `00 B2 <rec> <SFI<<3 | 4> 00` returns record DGI SFI‖rec
 *   (EMV CPS record DGIs 0101..1E10); 6A83 if the SFI has DGIs but not that
 *   record, 6A82 if the SFI has none.
 */
import { concat, equalBytes, zeroize } from '../../../card/bytes.js';
import { kcvAes } from '../../../card/crypto.js';
import { isSecretDgiTag, PIN_DGI, type Dgi } from '../../../card/dgi.js';
import { decryptSecretDgi } from '../../../card/gp/dek.js';
import { SW } from '../../../card/status-words.js';
import { encodeTlv } from '../../../card/tlv.js';
import type { CommandContext } from './context.js';
import { fail, ok, type Reply } from './reply.js';
import type { AppState } from './state.js';

/** GET DATA data field asking for a key check value instead of the DGI. */
export const KCV_MARKER = Uint8Array.of(0x5c, 0x01, 0x84);
export const DEFAULT_APP_MEMORY = 32 * 1024;

function usedBytes(app: AppState): number {
  let n = 0;
  for (const v of app.dgis.values()) n += v.length;
  for (const v of app.secrets.values()) n += v.length;
  return n;
}

/**
 * Stores one completed DGI into `app` (a draft). `encryptedCommand` is
 * P1 b7b6 = 11 of the STORE DATA that completed it. Throws 6A80 for a
 * value that does not decrypt, 6A84 beyond the memory limit.
 */
export function storeDgi(app: AppState, dgi: Dgi, dek: Uint8Array, encryptedCommand: boolean): void {
  const secret = isSecretDgiTag(dgi.tag);
  const value = secret || encryptedCommand ? decryptSecretDgi(dek, dgi).value : dgi.value.slice();
  const target = secret ? app.secrets : app.dgis;
  const before = target.get(dgi.tag);
  if (usedBytes(app) - (before?.length ?? 0) + value.length > app.memoryLimit) {
    zeroize(value);
    fail(SW.NOT_ENOUGH_MEMORY, 'application memory');
  }
  before?.fill(0);
  target.set(dgi.tag, value);
}

/** The FCI of the application: 6F { 84 AID, A5 { value of DGI 9102 if stored } } (EMV CPS: 9102 = SELECT response data). */
export function appFci(app: AppState): Uint8Array {
  const proprietary = app.dgis.get(0x9102) ?? new Uint8Array(0);
  return encodeTlv(0x6f, concat(encodeTlv(0x84, app.aid), encodeTlv(0xa5, proprietary)));
}

function kcvOf(tag: number, value: Uint8Array): Uint8Array | undefined {
  // A PIN block shaped like a key would otherwise get a KCV: an offline oracle for the PIN.
  if (tag === PIN_DGI) return undefined;
  if (value.length === 16 || value.length === 24 || value.length === 32) return kcvAes(value);
  if (value.length > 32 && value.length % 16 === 0) {
    const parts: Uint8Array[] = [];
    for (let off = 0; off < value.length; off += 16) parts.push(kcvAes(value.subarray(off, off + 16)));
    return concat(...parts);
  }
  return undefined;
}

export function appGetData(ctx: CommandContext, app: AppState): Reply {
  const tag = (ctx.cmd.p1 << 8) | ctx.cmd.p2;
  const data = ctx.cmd.data;
  const secret = isSecretDgiTag(tag);
  if (data.length > 0) {
    if (!equalBytes(data, KCV_MARKER)) fail(SW.WRONG_DATA, 'GET DATA: unsupported tag list');
    if (!secret) fail(SW.REFERENCED_DATA_NOT_FOUND, 'KCV of a DGI that is not secret');
    const value = app.secrets.get(tag) ?? fail(SW.REFERENCED_DATA_NOT_FOUND, 'secret DGI not stored');
    return ok(kcvOf(tag, value) ?? fail(SW.REFERENCED_DATA_NOT_FOUND, 'secret DGI is not key-shaped'));
  }
  if (secret) fail(SW.SECURITY_STATUS_NOT_SATISFIED, 'secret DGIs are never readable');
  const value = app.dgis.get(tag) ?? fail(SW.REFERENCED_DATA_NOT_FOUND, 'DGI not stored');
  return ok(value.slice());
}

export function appReadRecord(ctx: CommandContext, app: AppState): Reply {
  const { p1, p2 } = ctx.cmd;
  if ((p2 & 0x07) !== 0x04 || p1 === 0x00 || p1 === 0xff) fail(SW.INCORRECT_P1P2, 'READ RECORD: record number in P1 only');
  const sfi = p2 >>> 3;
  if (sfi === 0) fail(SW.COMMAND_NOT_ALLOWED_NO_EF, 'READ RECORD: the application has no current EF');
  if (sfi === 0x1f) fail(SW.INCORRECT_P1P2, 'READ RECORD: SFI 1F is RFU');
  const value = app.dgis.get((sfi << 8) | p1);
  if (value !== undefined) return ok(value.slice());
  const sfiKnown = [...app.dgis.keys()].some((t) => t >>> 8 === sfi);
  return fail(sfiKnown ? SW.RECORD_NOT_FOUND : SW.FILE_NOT_FOUND, 'READ RECORD');
}

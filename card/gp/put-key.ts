/**
 * PUT KEY with AES keys under an AES Key-DEK (GPC v2.3.1 §11.8, GPC Amd D §7.2).
 *
 *   80 D8 P1 P2 Lc  newKVN ‖ key data field × n  00
 *   P1 = KVN to replace (00 adds a new key set; b8 = more commands)
 *   P2 = key id of the first key (b8 = several keys in this command)
 *   key data field (Amd D table 7-10):
 *     88 ‖ 11|21 ‖ 10|18|20 ‖ AES-CBC(DEK, zero ICV, key [‖ pad]) ‖ 03 ‖ KCV
 *   response: newKVN ‖ KCV × n (§11.8.3.1)
 *
 * The "length of the AES key data" counts the clear key length byte plus the
 * ciphertext (Amd D table 7-10); the byte itself is the Table 11-70 form of
 * the key component block, which GlobalPlatformPro's `encodeKey` also
 * writes. A 24-byte key is padded with 8 zero bytes, which Amd D §6.2.8
 * allows ("8 arbitrary bytes"). KCV = first 3 bytes of AES(key, 16×01)
 * (Amd D §7.2.2).
 */
import { command, type CommandApdu } from '../apdu.js';
import { concat, equalBytes, zeroize } from '../bytes.js';
import { AES_BLOCK, aesCbcDecrypt, aesCbcEncrypt, checkAesKey, kcvAes } from '../crypto.js';
import { CardError } from '../errors.js';
import { byteHex, checkByte, CLA_GP, INS } from './constants.js';
import { KEY_TYPE } from './key-information.js';

export const KCV_LENGTH = 3;
/** P2 b8: more than one key in the data field (table 11-66). */
export const PUT_KEY_MULTIPLE = 0x80;
/** P1 b8: more PUT KEY commands follow (table 11-65). */
export const PUT_KEY_MORE = 0x80;

const ZERO_ICV = new Uint8Array(AES_BLOCK);

export interface PutKeyAesInput {
  /** The new key version number, 01..7F. */
  readonly newKvn: number;
  /** The key version number to replace; 0 adds a new key set. */
  readonly replaceKvn: number;
  /** Keys in key id order (SCP03: ENC, MAC, DEK). */
  readonly keys: readonly Uint8Array[];
  /** The current static Key-DEK that encrypts them. */
  readonly dek: Uint8Array;
  /** Key id of the first key (default 1, the SCP03 key set's first id). */
  readonly firstKeyId?: number;
}

/** Key data field for one AES key (Amd D table 7-10). */
export function encodeAesKeyData(dek: Uint8Array, key: Uint8Array): Uint8Array {
  checkAesKey(key);
  const padded = new Uint8Array(Math.ceil(key.length / AES_BLOCK) * AES_BLOCK);
  padded.set(key, 0);
  try {
    const cipher = aesCbcEncrypt(dek, ZERO_ICV, padded);
    return concat(Uint8Array.of(KEY_TYPE.AES, cipher.length + 1, key.length), cipher, Uint8Array.of(KCV_LENGTH), kcvAes(key));
  } finally {
    zeroize(padded);
  }
}

/** PUT KEY for a set of AES keys (Le 00: the card returns KVN ‖ KCVs). */
export function putKeyAes(input: PutKeyAesInput): CommandApdu {
  const { newKvn, replaceKvn, keys, dek } = input;
  const firstKeyId = input.firstKeyId ?? 1;
  checkByte(newKvn, 'new key version number', 0x01, 0x7f);
  checkByte(replaceKvn, 'replaced key version number', 0x00, 0x7f);
  checkByte(firstKeyId, 'key identifier', 0x00, 0x7f);
  checkAesKey(dek);
  if (keys.length === 0) throw new CardError('ARGUMENT_INVALID', 'PUT KEY without keys');
  const data = concat(Uint8Array.of(newKvn), ...keys.map((k) => encodeAesKeyData(dek, k)));
  if (data.length > 255) throw new CardError('ARGUMENT_INVALID', `PUT KEY data of ${data.length} bytes (chaining not supported)`);
  const p2 = firstKeyId | (keys.length > 1 ? PUT_KEY_MULTIPLE : 0);
  return command(CLA_GP, INS.PUT_KEY, replaceKvn, p2, data, 256);
}

/** The response a card should give: newKVN ‖ the keys' KCVs (§11.8.3.1). */
export function expectedPutKeyResponse(newKvn: number, keys: readonly Uint8Array[]): Uint8Array {
  return concat(Uint8Array.of(newKvn), ...keys.map((k) => kcvAes(k)));
}

export interface PutKeyResponse {
  readonly kvn: number;
  readonly kcvs: readonly Uint8Array[];
}

/** Parses a PUT KEY response with `keyCount` 3-byte KCVs. Throws `RESPONSE_MALFORMED`. */
export function parsePutKeyResponse(data: Uint8Array, keyCount: number): PutKeyResponse {
  if (data.length !== 1 + KCV_LENGTH * keyCount) {
    throw new CardError('RESPONSE_MALFORMED', `PUT KEY response of ${data.length} bytes for ${keyCount} keys`);
  }
  const kcvs: Uint8Array[] = [];
  for (let i = 0; i < keyCount; i++) kcvs.push(data.slice(1 + i * KCV_LENGTH, 1 + (i + 1) * KCV_LENGTH));
  return { kvn: data[0]!, kcvs };
}

/** Host: checks a PUT KEY response against the keys sent. Throws `RESPONSE_MALFORMED` on any difference. */
export function verifyPutKeyResponse(data: Uint8Array, newKvn: number, keys: readonly Uint8Array[]): void {
  if (!equalBytes(data, expectedPutKeyResponse(newKvn, keys))) {
    throw new CardError('RESPONSE_MALFORMED', 'PUT KEY response does not match the key version and check values sent');
  }
}

export interface ReceivedKey {
  readonly id: number;
  readonly type: number;
  /** The decrypted key. The caller owns it and zeroizes it when done. */
  readonly key: Uint8Array;
  readonly kcv: Uint8Array;
  /** Extended format only (table 11-69). */
  readonly usage?: Uint8Array;
  readonly access?: Uint8Array;
}

export interface PutKeyParams {
  /** P1 b7..b1: the version to replace, 0 for a new key set. */
  readonly replaceKvn: number;
  /** P1 b8. */
  readonly more: boolean;
  /** P2 b7..b1: the first key's id. */
  readonly firstKeyId: number;
  /** P2 b8. */
  readonly multiple: boolean;
}

/** Card side: decodes P1/P2 of PUT KEY (tables 11-65, 11-66). */
export function parsePutKeyParams(p1: number, p2: number): PutKeyParams {
  return { replaceKvn: p1 & 0x7f, more: (p1 & PUT_KEY_MORE) !== 0, firstKeyId: p2 & 0x7f, multiple: (p2 & PUT_KEY_MULTIPLE) !== 0 };
}

function invalid(msg: string): CardError {
  return new CardError('COMMAND_DATA_INVALID', `PUT KEY: ${msg}`);
}

/** Lengths of the key data field: BER, except that 80 may mean 128 (§11.8.2.3.1). */
function readLength(data: Uint8Array, pos: number): { value: number; next: number } {
  const first = data[pos];
  if (first === undefined) throw invalid('truncated length');
  if (first <= 0x80) return { value: first, next: pos + 1 };
  const n = first & 0x7f;
  if (n > 2 || pos + 1 + n > data.length) throw invalid(`length field ${byteHex(first)}`);
  let value = 0;
  for (let i = 1; i <= n; i++) value = value * 256 + data[pos + i]!;
  return { value, next: pos + 1 + n };
}

/**
 * A key component block (§11.8.2.3.2): with a clear-length prefix when its
 * size is not whole blocks (table 11-70), plain ciphertext otherwise (11-71).
 */
function decryptKeyBlock(dek: Uint8Array, block: Uint8Array): Uint8Array {
  let clearLen = block.length;
  let cipher = block;
  if (block.length % AES_BLOCK !== 0) {
    const len = readLength(block, 0);
    clearLen = len.value;
    cipher = block.subarray(len.next);
  }
  if (cipher.length === 0 || cipher.length % AES_BLOCK !== 0 || clearLen > cipher.length) {
    throw invalid(`key component block of ${block.length} bytes`);
  }
  if (clearLen !== 16 && clearLen !== 24 && clearLen !== 32) throw invalid(`AES key of ${clearLen} bytes`);
  const plain = aesCbcDecrypt(dek, ZERO_ICV, cipher);
  const key = plain.slice(0, clearLen);
  zeroize(plain);
  return key;
}

/** Reads `len ‖ bytes` (a 1-byte length) at `pos`. */
function readLv(data: Uint8Array, pos: number, what: string): { value: Uint8Array; next: number } {
  const len = data[pos];
  if (len === undefined || pos + 1 + len > data.length) throw invalid(`truncated ${what}`);
  return { value: data.slice(pos + 1, pos + 1 + len), next: pos + 1 + len };
}

/**
 * Card side: decodes and decrypts a PUT KEY data field of AES keys, basic
 * or extended format (tables 11-68, 11-69), and checks every KCV. Key ids
 * run from `firstKeyId` (P2 b7..b1). Throws `COMMAND_DATA_INVALID` (6A80) for
 * anything malformed or a key type other than AES, and `KCV_MISMATCH` (6982,
 * table 11-78) when a check value differs. On any error, keys already
 * decrypted are zeroized. The caller checks P1/P2 against the key count.
 */
export function parsePutKey(data: Uint8Array, dek: Uint8Array, firstKeyId = 1): { newKvn: number; keys: ReceivedKey[] } {
  checkAesKey(dek);
  const newKvn = data[0];
  if (newKvn === undefined || newKvn < 0x01 || newKvn > 0x7f) throw invalid('new key version number missing or out of 01..7F');
  const keys: ReceivedKey[] = [];
  try {
    let pos = 1;
    while (pos < data.length) {
      let type = data[pos++]!;
      const extended = type === KEY_TYPE.EXTENDED;
      if (extended) {
        if (pos >= data.length) throw invalid('truncated extended key type');
        type = data[pos++]!;
      }
      if (type !== KEY_TYPE.AES) throw invalid(`key type ${byteHex(type)} not supported`);
      const len = readLength(data, pos);
      if (len.next + len.value > data.length) throw invalid('key component block beyond data');
      const key = decryptKeyBlock(dek, data.subarray(len.next, len.next + len.value));
      pos = len.next + len.value;
      const kcv = readLv(data, pos, 'key check value');
      pos = kcv.next;
      let usage: Uint8Array | undefined;
      let access: Uint8Array | undefined;
      if (extended) {
        const u = readLv(data, pos, 'key usage');
        const a = readLv(data, u.next, 'key access');
        pos = a.next;
        usage = u.value;
        access = a.value;
      }
      const id = firstKeyId + keys.length;
      keys.push({ id, type, key, kcv: kcv.value, ...(usage ? { usage } : {}), ...(access ? { access } : {}) });
      if (kcv.value.length !== KCV_LENGTH) throw invalid(`key ${id}: key check value of ${kcv.value.length} bytes`);
      if (!equalBytes(kcvAes(key), kcv.value)) throw new CardError('KCV_MISMATCH', `PUT KEY: key ${id} does not match its check value`);
    }
    if (keys.length === 0) throw invalid('no key data field');
  } catch (e) {
    for (const k of keys) zeroize(k.key);
    throw e;
  }
  return { newKvn, keys };
}

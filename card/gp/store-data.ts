/**
 * STORE DATA (GPC v2.3.1 §11.11): `80 E2 P1 P2 Lc data`, no Le unless P1 b1.
 *
 *   P1 b8     last block
 *   P1 b7b6   00 no info / not encrypted, 01 application dependent, 10 RFU, 11 all encrypted
 *   P1 b5b4   00 no info, 01 DGI format, 10 BER-TLV, 11 RFU
 *   P1 b1     ISO case 4: response data may be returned
 *   P2        block number 00..FF, reset after the last block (§11.11.2.2)
 *
 * Personalization tools in practice send P1 00 (plain DGIs) or 60 (encrypted
 * DGIs) and set b8 on the last block, with no format bits; GP-strict ones
 * send 08 / 68. The host uses the former by default; the card accepts both.
 *
 * Data over 255 bytes spans several commands (§11.11.2.3): a DGI's length
 * field gives its full length and the value simply continues in the next
 * command. `packDgis` never splits a DGI header, only values.
 */
import { command, type CommandApdu } from '../apdu.js';
import { CardError } from '../errors.js';
import { SL } from '../scp03/types.js';
import { byteHex, CLA_GP, INS } from './constants.js';

export const STORE_DATA_P1 = {
  LAST_BLOCK: 0x80,
  ENC_APPLICATION: 0x20,
  ENC_ALL: 0x60,
  FORMAT_DGI: 0x08,
  FORMAT_BER_TLV: 0x10,
  RESPONSE_EXPECTED: 0x01,
} as const;

/** P1 presets without the last-block bit. 'plain' and 'encrypted' are the personalization-tool convention. */
export const STORE_DATA_FORMATS = {
  plain: 0x00,
  encrypted: STORE_DATA_P1.ENC_ALL,
  dgi: STORE_DATA_P1.FORMAT_DGI,
  'dgi-encrypted': STORE_DATA_P1.ENC_ALL | STORE_DATA_P1.FORMAT_DGI,
  'ber-tlv': STORE_DATA_P1.FORMAT_BER_TLV,
  'ber-tlv-encrypted': STORE_DATA_P1.ENC_ALL | STORE_DATA_P1.FORMAT_BER_TLV,
} as const;
export type StoreDataFormat = keyof typeof STORE_DATA_FORMATS;

/** Block numbers run 00..FF: at most 256 commands per personalization session (§11.11.2.2). */
export const MAX_STORE_DATA_BLOCKS = 256;
export const MAX_SHORT_DATA = 255;

export interface StoreDataOptions {
  /** A preset or a raw P1 (its b8 is ignored: the last-block bit is set here). Default 'plain'. */
  readonly p1Format?: StoreDataFormat | number;
  /** Largest data field per command before secure messaging, 1..255. Default 255. */
  readonly maxBlock?: number;
  /** Number of the first block (to continue a session). Default 0. */
  readonly firstBlock?: number;
  /** Set b8 on the final command. Default true. */
  readonly last?: boolean;
}

function p1Base(f: StoreDataFormat | number | undefined): number {
  if (f === undefined) return STORE_DATA_FORMATS.plain;
  if (typeof f === 'string') return STORE_DATA_FORMATS[f];
  if (!Number.isInteger(f) || f < 0 || f > 0xff) throw new CardError('ARGUMENT_INVALID', `STORE DATA P1 out of range: ${f}`);
  return f & ~STORE_DATA_P1.LAST_BLOCK;
}

function checkMaxBlock(maxBlock: number): void {
  if (!Number.isInteger(maxBlock) || maxBlock < 1 || maxBlock > MAX_SHORT_DATA) {
    throw new CardError('ARGUMENT_INVALID', `STORE DATA block size must be 1..255: ${maxBlock}`);
  }
}

/** Splits bytes into chunks of at most `maxBlock` (the last may be shorter). Chunks are views, not copies. */
export function splitForStoreData(payload: Uint8Array, maxBlock = MAX_SHORT_DATA): Uint8Array[] {
  checkMaxBlock(maxBlock);
  const out: Uint8Array[] = [];
  for (let off = 0; off < payload.length; off += maxBlock) out.push(payload.subarray(off, off + maxBlock));
  return out;
}

/** Header size of an encoded DGI: tag (2) and a length of 1 byte, or FF hh ll. */
function dgiHeaderSize(encoded: Uint8Array): number {
  return encoded[2] === 0xff ? 5 : 3;
}

/**
 * Packs encoded DGIs into blocks of at most `maxBlock` bytes, filling each
 * block, splitting values where needed but never a DGI header: a header that
 * does not fit in what is left of a block starts the next one.
 */
export function packDgis(encodedDgis: readonly Uint8Array[], maxBlock = MAX_SHORT_DATA): Uint8Array[] {
  checkMaxBlock(maxBlock);
  if (maxBlock < 5) throw new CardError('ARGUMENT_INVALID', `block size ${maxBlock} cannot hold a DGI header`);
  const blocks: Uint8Array[] = [];
  let cur: number[] = [];
  const flush = (): void => {
    if (cur.length > 0) blocks.push(Uint8Array.from(cur));
    cur = [];
  };
  for (const dgi of encodedDgis) {
    if (dgi.length < 3) throw new CardError('ARGUMENT_INVALID', `encoded DGI of ${dgi.length} bytes`);
    if (maxBlock - cur.length < dgiHeaderSize(dgi)) flush();
    let off = 0;
    while (off < dgi.length) {
      const take = Math.min(maxBlock - cur.length, dgi.length - off);
      for (let i = 0; i < take; i++) cur.push(dgi[off + i]!);
      off += take;
      if (cur.length === maxBlock) flush();
    }
  }
  flush();
  return blocks;
}

/**
 * STORE DATA commands for pre-split chunks: P2 numbered from `firstBlock`,
 * b8 of P1 on the final one only (when `last`). Throws `ARGUMENT_INVALID`
 * past block FF or for an empty list or chunk.
 */
export function storeDataCommands(chunks: readonly Uint8Array[], opts: Omit<StoreDataOptions, 'maxBlock'> = {}): CommandApdu[] {
  const base = p1Base(opts.p1Format);
  const first = opts.firstBlock ?? 0;
  if (!Number.isInteger(first) || first < 0 || first > 0xff) throw new CardError('ARGUMENT_INVALID', `first block number ${first}`);
  if (chunks.length === 0) throw new CardError('ARGUMENT_INVALID', 'STORE DATA without data');
  if (first + chunks.length > MAX_STORE_DATA_BLOCKS) {
    throw new CardError('ARGUMENT_INVALID', `${first + chunks.length} STORE DATA blocks exceed ${MAX_STORE_DATA_BLOCKS}`);
  }
  const flagLast = opts.last ?? true;
  const ne = (base & STORE_DATA_P1.RESPONSE_EXPECTED) !== 0 ? 256 : undefined;
  return chunks.map((chunk, i) => {
    if (chunk.length === 0 || chunk.length > MAX_SHORT_DATA) throw new CardError('ARGUMENT_INVALID', `STORE DATA chunk of ${chunk.length} bytes`);
    const isLast = flagLast && i === chunks.length - 1;
    return command(CLA_GP, INS.STORE_DATA, base | (isLast ? STORE_DATA_P1.LAST_BLOCK : 0), first + i, chunk, ne);
  });
}

/** STORE DATA for one payload split at `maxBlock`: blocks 00.., last-block bit on the final one. */
export function storeDataBlocks(payload: Uint8Array, opts: StoreDataOptions = {}): CommandApdu[] {
  return storeDataCommands(splitForStoreData(payload, opts.maxBlock ?? MAX_SHORT_DATA), opts);
}

/**
 * Largest plaintext data field that still fits a short APDU (Lc ≤ 255)
 * once the secure channel has wrapped it at `securityLevel` (GPC Amd D
 * §6.2.4, §6.2.6): C-MAC adds 8 bytes; C-DECRYPTION always pads with
 * `80 00..` to whole 16-byte blocks, then the MAC adds 8. So 255 plain,
 * 247 with C-MAC, 239 with C-DEC (239 pads to 240, plus 8 = 248).
 */
export function maxPlaintextPerBlock(securityLevel: number, maxApduData = MAX_SHORT_DATA): number {
  const mac = (securityLevel & (SL.CMAC | SL.CDEC)) !== 0 ? 8 : 0;
  const room = maxApduData - mac;
  if ((securityLevel & SL.CDEC) === 0) return room;
  return Math.floor(room / 16) * 16 - 1;
}

export interface StoreDataP1 {
  readonly last: boolean;
  /** b7b6: 00 none, 01 application dependent, 11 all value fields encrypted. */
  readonly encryption: 'none' | 'app' | 'all';
  /** b5b4: 00 none given, 01 DGI, 10 BER-TLV. */
  readonly format: 'none' | 'dgi' | 'ber-tlv';
  readonly responseExpected: boolean;
}

/**
 * Card side: decodes P1 (table 11-89). The RFU values b7b6 = 10 and b5b4 = 11
 * throw `P1P2_INVALID` (6A86); the RFU bits b3b2 are ignored (§11.1).
 */
export function parseStoreDataP1(p1: number): StoreDataP1 {
  const enc = (p1 >>> 5) & 0x03;
  const fmt = (p1 >>> 3) & 0x03;
  if (enc === 0x02 || fmt === 0x03) throw new CardError('P1P2_INVALID', `STORE DATA P1 ${byteHex(p1)} uses an RFU value`);
  return {
    last: (p1 & STORE_DATA_P1.LAST_BLOCK) !== 0,
    encryption: enc === 0 ? 'none' : enc === 1 ? 'app' : 'all',
    format: fmt === 0 ? 'none' : fmt === 1 ? 'dgi' : 'ber-tlv',
    responseExpected: (p1 & STORE_DATA_P1.RESPONSE_EXPECTED) !== 0,
  };
}

/**
 * Card side: checks STORE DATA block numbers (§11.11.2.2). Blocks must come
 * 00, 01, ... in order; the counter resets after the last block, after an
 * error and on `reset()` (new session, deselect, channel reset). A block out
 * of order throws `P1P2_INVALID` (6A86) and resets the counter.
 */
export class StoreDataSequence {
  private expected = 0;

  /** The block number the next STORE DATA must carry. */
  get next(): number {
    return this.expected;
  }

  accept(p1: number, p2: number): StoreDataP1 {
    let parsed: StoreDataP1;
    try {
      parsed = parseStoreDataP1(p1);
      if (p2 !== this.expected) throw new CardError('P1P2_INVALID', `STORE DATA block ${byteHex(p2)} out of sequence (expected ${byteHex(this.expected)})`);
    } catch (e) {
      this.reset();
      throw e;
    }
    if (parsed.last) this.reset();
    else if (this.expected === 0xff) {
      this.reset();
      throw new CardError('P1P2_INVALID', 'STORE DATA block FF is not flagged last');
    } else this.expected++;
    return parsed;
  }

  reset(): void {
    this.expected = 0;
  }
}

/**
 * Data Grouping Identifiers: the personalization format of STORE DATA
 * (GPC v2.3.1 §11.1.12, EMV CPS v1.1).
 *
 *   DGI = tag (2 bytes) ‖ length ‖ value
 *   length = 1 byte 00..FE, or FF hh ll for 0..FFFF
 *
 * A DGI's length field always gives its full length, even when STORE DATA
 * splits it over several commands (GPC v2.3.1 §11.11). DgiStreamParser
 * therefore takes the blocks' data fields as chunks and returns DGIs as they
 * complete.
 *
 * Choices:
 * - Any 16-bit tag is accepted: the numbering belongs to the application.
 * - The three-byte form for a length under 255 (FF 00 05) is accepted, as real
 *   cards accept it. Encoding always writes the minimal form.
 * - Values are copies. DGIs can hold plaintext keys and PINs, so the
 *   stream parser zeroizes its own intermediate buffers. The caller owns the
 *   returned values and zeroizes them after use.
 */
import { concat, toHex, zeroize } from './bytes.js';
import { CardError } from './errors.js';

export interface Dgi {
  /** The 2-byte DGI, e.g. 0x0101 (SFI 1 record 1), 0x8000 (keys), 0x9000 (KCVs). */
  readonly tag: number;
  readonly value: Uint8Array;
}

export const MAX_DGI_LENGTH = 0xffff;

/**
 * Secret DGIs, EMV CPS v1.1: DGIs '8000'..'8FFF' carry data that is
 * encrypted under the DEK for transport. Examples are keys ('8000'), the
 * offline PIN ('8010') and private-key components ('8101'..., '8201'...).
 */
export const SECRET_DGI_FIRST = 0x8000;
export const SECRET_DGI_LAST = 0x8fff;

/**
 * EMV CPS: the DGI of the offline PIN block. It is secret like every 8xxx DGI
 * and, unlike a key DGI, has no key check value: a PIN has too little entropy
 * for any function of it (a KCV included) to leave the card.
 */
export const PIN_DGI = 0x8010;

/**
 * True when the DGI carries secret data, so it must be DEK-encrypted, never
 * logged and never read back. The rule is the EMV CPS range 8000..8FFF,
 * plus any tags in `extra` (an application profile's own secret DGIs). A
 * profile can add to the secret set but never remove from it, so a typo
 * cannot expose a key.
 */
export function isSecretDgiTag(tag: number, extra: ReadonlySet<number> = new Set()): boolean {
  return (tag >= SECRET_DGI_FIRST && tag <= SECRET_DGI_LAST) || extra.has(tag);
}

function dgiHex(tag: number): string {
  return toHex(Uint8Array.of((tag >>> 8) & 0xff, tag & 0xff));
}

/** Encodes one DGI. Throws `ARGUMENT_INVALID` for a tag outside 0..FFFF or a value over 65535 bytes. */
export function encodeDgi(dgi: Dgi): Uint8Array {
  const { tag, value } = dgi;
  if (!Number.isInteger(tag) || tag < 0 || tag > 0xffff) throw new CardError('ARGUMENT_INVALID', `DGI tag out of range: ${tag}`);
  const n = value.length;
  if (n > MAX_DGI_LENGTH) throw new CardError('ARGUMENT_INVALID', `DGI ${dgiHex(tag)}: value of ${n} bytes exceeds ${MAX_DGI_LENGTH}`);
  const head = n <= 0xfe ? [tag >>> 8, tag & 0xff, n] : [tag >>> 8, tag & 0xff, 0xff, n >>> 8, n & 0xff];
  const out = new Uint8Array(head.length + n);
  out.set(head, 0);
  out.set(value, head.length);
  return out;
}

export function encodeDgis(list: readonly Dgi[]): Uint8Array {
  const parts = list.map((d) => encodeDgi(d));
  const out = concat(...parts);
  zeroize(...parts);
  return out;
}

/**
 * Parses a whole buffer of DGIs. Throws CardError `DGI_MALFORMED` naming the
 * defect: truncated tag, truncated length, or length beyond data.
 */
export function parseDgis(bytes: Uint8Array): Dgi[] {
  const parser = new DgiStreamParser();
  const out = parser.push(bytes);
  try {
    parser.finish();
  } catch (e) {
    for (const d of out) zeroize(d.value);
    throw e;
  }
  return out;
}

/**
 * Incremental DGI parser for STORE DATA: push each block's (decrypted) data
 * field and get back the DGIs completed by it. A DGI, or even its header,
 * may span any number of chunks. push() never throws, because every byte
 * sequence is a valid prefix. finish() at the last block throws if a DGI is
 * incomplete. Memory held is at most one DGI (header + 65535 bytes), copied
 * out of the chunks so that callers may reuse or zeroize them.
 */
export class DgiStreamParser {
  /** Header bytes collected so far (at most 5). */
  private head: number[] = [];
  private tag = 0;
  /** Declared value length once the header is complete; undefined while reading the header. */
  private need: number | undefined;
  private parts: Uint8Array[] = [];
  private got = 0;
  /** Size of the completed header (3 or 5) while its value is read. */
  private headerSize = 0;

  /** Bytes buffered for the DGI in progress (header and value). */
  get pending(): number {
    return this.head.length + this.got + (this.need === undefined ? 0 : this.headerSize);
  }

  push(chunk: Uint8Array): Dgi[] {
    const out: Dgi[] = [];
    let pos = 0;
    while (pos < chunk.length) {
      if (this.need === undefined) {
        this.head.push(chunk[pos++]!);
        this.tryHeader(out);
        continue;
      }
      const take = Math.min(this.need - this.got, chunk.length - pos);
      this.parts.push(chunk.slice(pos, pos + take));
      this.got += take;
      pos += take;
      if (this.got === this.need) this.complete(out);
    }
    return out;
  }

  /** Ends the stream. Throws `DGI_MALFORMED` if a DGI is incomplete; the partial data is zeroized and the parser reset either way. */
  finish(): void {
    const reason = this.incompleteReason();
    this.reset();
    if (reason !== undefined) throw new CardError('DGI_MALFORMED', reason);
  }

  /** Discards (and zeroizes) any DGI in progress. */
  reset(): void {
    zeroize(...this.parts);
    this.head = [];
    this.parts = [];
    this.need = undefined;
    this.got = 0;
    this.tag = 0;
    this.headerSize = 0;
  }

  private incompleteReason(): string | undefined {
    const h = this.head;
    if (this.need !== undefined) {
      return `DGI ${dgiHex(this.tag)}: length ${this.need} beyond data (${this.got} bytes present)`;
    }
    if (h.length === 0) return undefined;
    if (h.length === 1) return 'truncated tag (1 of 2 bytes)';
    const tag = dgiHex((h[0]! << 8) | h[1]!);
    return `DGI ${tag}: truncated length (${h.length - 2} of ${h[2] === 0xff ? 3 : 1} bytes)`;
  }

  /** Completes the header once its bytes are in: tag, then 1 length byte or FF hh ll. */
  private tryHeader(out: Dgi[]): void {
    const h = this.head;
    let length: number;
    if (h.length === 3 && h[2] !== 0xff) length = h[2]!;
    else if (h.length === 5) length = (h[3]! << 8) | h[4]!;
    else return;
    this.tag = (h[0]! << 8) | h[1]!;
    this.headerSize = h.length;
    this.head = [];
    this.need = length;
    this.got = 0;
    if (length === 0) this.complete(out);
  }

  private complete(out: Dgi[]): void {
    const parts = this.parts;
    const value = parts.length === 1 ? parts[0]! : concat(...parts);
    if (parts.length > 1) zeroize(...parts);
    out.push({ tag: this.tag, value });
    this.parts = [];
    this.need = undefined;
    this.got = 0;
    this.headerSize = 0;
  }
}

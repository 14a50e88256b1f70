/**
 * ISO 7816-4 file system: navigation, transparent and record EFs, and the
 * file control parameters. Pure functions over the tree in CardState.mf;
 * the APDU side (P1/P2 decoding, access rules) is fs-commands.ts.
 *
 * The current DF / EF / record live in the session as FIDs (FsPointer), not
 * as node references, because every command works on a fresh copy of the
 * tree (state.ts) and references would point into a discarded copy.
 */
import { concat, u16be } from '../../../card/bytes.js';
import { SW } from '../../../card/status-words.js';
import { encodeTlv } from '../../../card/tlv.js';
import { fail } from './reply.js';
import type { DfNode, EfNode, FsNode } from './state.js';

export const MF_FID = 0x3f00;

/** Where the session stands in the tree (ISO 7816-4 §7.1.1 "current file"). */
export interface FsPointer {
  /** FIDs from the MF (exclusive) to the current DF; [] is the MF. */
  readonly dfPath: readonly number[];
  /** The current EF, a child of the current DF. */
  readonly ef: number | undefined;
  /** The current record number of the current EF (ISO 7816-4 §7.3.1). */
  readonly record: number | undefined;
}

export const AT_MF: FsPointer = { dfPath: [], ef: undefined, record: undefined };

export function isEf(n: FsNode): n is EfNode {
  return n.kind !== 'df';
}

export function dfAt(mf: DfNode, path: readonly number[]): DfNode | undefined {
  let df: DfNode = mf;
  for (const fid of path) {
    const next = df.children.find((c) => c.fid === fid);
    if (next?.kind !== 'df') return undefined;
    df = next;
  }
  return df;
}

export function currentDf(mf: DfNode, ptr: FsPointer): DfNode {
  return dfAt(mf, ptr.dfPath) ?? mf;
}

export function currentEf(mf: DfNode, ptr: FsPointer): EfNode | undefined {
  if (ptr.ef === undefined) return undefined;
  const node = currentDf(mf, ptr).children.find((c) => c.fid === ptr.ef);
  return node !== undefined && isEf(node) ? node : undefined;
}

export function efBySfi(df: DfNode, sfi: number): EfNode | undefined {
  const node = df.children.find((c) => isEf(c) && c.sfi === sfi);
  return node !== undefined && isEf(node) ? node : undefined;
}

function fidsOf(data: Uint8Array): number[] {
  if (data.length === 0 || data.length % 2 !== 0) fail(SW.LC_INCONSISTENT_WITH_P1P2, 'file identifier length');
  const out: number[] = [];
  for (let i = 0; i < data.length; i += 2) out.push((data[i]! << 8) | data[i + 1]!);
  return out;
}

/** The pointer after selecting `node`, a child of the DF at `parentPath`. */
function landOn(parentPath: readonly number[], node: FsNode): { ptr: FsPointer; node: FsNode } {
  if (node.kind === 'df') return { ptr: { dfPath: [...parentPath, node.fid], ef: undefined, record: undefined }, node };
  return { ptr: { dfPath: parentPath, ef: node.fid, record: undefined }, node };
}

function walk(mf: DfNode, start: readonly number[], fids: readonly number[]): { ptr: FsPointer; node: FsNode } {
  let path = [...start];
  let df = dfAt(mf, path) ?? fail(SW.FILE_NOT_FOUND);
  for (let i = 0; i < fids.length; i++) {
    const node = df.children.find((c) => c.fid === fids[i]) ?? fail(SW.FILE_NOT_FOUND, 'path');
    if (i === fids.length - 1) return landOn(path, node);
    if (node.kind !== 'df') fail(SW.FILE_NOT_FOUND, 'path through an EF');
    path = [...path, node.fid];
    df = node;
  }
  return fail(SW.LC_INCONSISTENT_WITH_P1P2, 'empty path');
}

/**
 * SELECT by file identifier or path (ISO 7816-4 §11.1.1, table 63):
 * P1 00 MF/DF/EF by FID (empty data: the MF), 01 child DF, 02 EF of the
 * current DF, 03 parent DF, 08 path from the MF, 09 path from the current
 * DF. P1 00 looks, in order, at 3F00, the current DF's children, the
 * current DF itself, its parent and the parent's children. Throws 6A82 when
 * nothing matches, 6A87 for a data field of the wrong size.
 */
export function selectFile(mf: DfNode, ptr: FsPointer, p1: number, data: Uint8Array): { ptr: FsPointer; node: FsNode } {
  const cur = ptr.dfPath;
  const df = currentDf(mf, ptr);
  switch (p1) {
    case 0x00: {
      if (data.length === 0) return { ptr: AT_MF, node: mf };
      const [fid] = fidsOf(data);
      if (data.length !== 2) fail(SW.LC_INCONSISTENT_WITH_P1P2);
      if (fid === MF_FID) return { ptr: AT_MF, node: mf };
      const child = df.children.find((c) => c.fid === fid);
      if (child !== undefined) return landOn(cur, child);
      if (cur.length > 0 && cur[cur.length - 1] === fid) return landOn(cur.slice(0, -1), df);
      if (cur.length > 0) {
        const parentPath = cur.slice(0, -1);
        const parent = dfAt(mf, parentPath) ?? mf;
        if (parent.fid === fid) return landOn(parentPath.slice(0, -1), parent);
        const sibling = parent.children.find((c) => c.fid === fid);
        if (sibling !== undefined) return landOn(parentPath, sibling);
      }
      return fail(SW.FILE_NOT_FOUND);
    }
    case 0x01:
    case 0x02: {
      if (data.length !== 2) fail(SW.LC_INCONSISTENT_WITH_P1P2);
      const [fid] = fidsOf(data);
      const child = df.children.find((c) => c.fid === fid);
      if (child === undefined || (p1 === 0x01) !== (child.kind === 'df')) fail(SW.FILE_NOT_FOUND);
      return landOn(cur, child);
    }
    case 0x03: {
      if (data.length !== 0) fail(SW.LC_INCONSISTENT_WITH_P1P2);
      if (cur.length === 0) fail(SW.FILE_NOT_FOUND, 'the MF has no parent');
      const parentPath = cur.slice(0, -1);
      return { ptr: { dfPath: parentPath, ef: undefined, record: undefined }, node: dfAt(mf, parentPath) ?? mf };
    }
    case 0x08: {
      const fids = fidsOf(data);
      // The path from the MF omits 3F00 (ISO 7816-4 §7.1.1); a leading 3F00 is tolerated.
      const rest = fids[0] === MF_FID ? fids.slice(1) : fids;
      return rest.length === 0 ? { ptr: AT_MF, node: mf } : walk(mf, [], rest);
    }
    case 0x09:
      return walk(mf, cur, fidsOf(data));
    default:
      return fail(SW.INCORRECT_P1P2, 'SELECT P1');
  }
}

/** READ BINARY (ISO 7816-4 §11.2.3): 6B00 at or beyond the end; 6282 when fewer than an explicit Ne bytes remain. */
export function readBinary(ef: EfNode, offset: number, ne: number): { data: Uint8Array; sw: number } {
  if (ef.kind !== 'transparent') fail(SW.COMMAND_INCOMPATIBLE_FILE);
  if (offset >= ef.data.length) fail(SW.WRONG_P1P2, 'offset beyond the end of the EF');
  const available = ef.data.length - offset;
  const n = Math.min(ne, available);
  // Le 00 (Ne 256) asks for "up to 256": a shorter answer is then complete.
  const sw = ne > available && ne !== 256 ? 0x6282 : SW.OK;
  return { data: ef.data.slice(offset, offset + n), sw };
}

/** UPDATE BINARY (ISO 7816-4 §11.2.5) into `ef`, which must belong to the draft. */
export function updateBinary(ef: EfNode, offset: number, data: Uint8Array): void {
  if (ef.kind !== 'transparent') fail(SW.COMMAND_INCOMPATIBLE_FILE);
  if (data.length === 0) fail(SW.WRONG_LENGTH, 'no data');
  if (offset >= ef.data.length) fail(SW.WRONG_P1P2, 'offset beyond the end of the EF');
  if (offset + data.length > ef.data.length) fail(SW.WRONG_LENGTH, 'data beyond the end of the EF');
  ef.data.set(data, offset);
}

function requireRecords(ef: EfNode): void {
  if (ef.kind === 'transparent') fail(SW.COMMAND_INCOMPATIBLE_FILE);
}

/**
 * Which record a READ RECORD addresses (ISO 7816-4 §11.3.3, P2 b3-b1):
 * 100 record number P1 (00 = current), 000 first, 001 last, 010 next,
 * 011 previous (P1 00: record identifiers are not supported). Returns the
 * record number; 6A83 when there is none.
 */
export function recordNumber(ef: EfNode, ptr: FsPointer, p1: number, mode: number): number {
  requireRecords(ef);
  const count = ef.records.length;
  const current = ptr.ef === ef.fid ? ptr.record : undefined;
  let n: number | undefined;
  if (mode === 0x04) n = p1 === 0 ? current : p1;
  else if (p1 !== 0) fail(SW.INCORRECT_P1P2, 'record identifiers are not supported');
  else if (mode === 0x00) n = 1;
  else if (mode === 0x01) n = count;
  else if (mode === 0x02) n = current === undefined ? 1 : current + 1;
  else if (mode === 0x03) n = current === undefined ? count : current - 1;
  else fail(SW.INCORRECT_P1P2, 'READ RECORD P2 mode');
  if (n === undefined || n < 1 || n > count || p1 === 0xff) fail(SW.RECORD_NOT_FOUND);
  return n;
}

function checkRecordLength(ef: EfNode, data: Uint8Array): void {
  if (ef.kind === 'linear-fixed' ? data.length !== ef.recordLength : data.length < 1 || data.length > ef.recordLength) {
    fail(SW.WRONG_LENGTH, 'record length');
  }
}

/** UPDATE RECORD (ISO 7816-4 §11.3.5): replaces record `n` of `ef` (from the draft). */
export function updateRecord(ef: EfNode, n: number, data: Uint8Array): void {
  requireRecords(ef);
  if (n < 1 || n > ef.records.length) fail(SW.RECORD_NOT_FOUND);
  checkRecordLength(ef, data);
  ef.records[n - 1] = data.slice();
}

/** APPEND RECORD (ISO 7816-4 §11.3.6): adds a record, returning its number; 6A84 when the EF is full. */
export function appendRecord(ef: EfNode, data: Uint8Array): number {
  requireRecords(ef);
  checkRecordLength(ef, data);
  if (ef.records.length >= ef.maxRecords) fail(SW.NOT_ENOUGH_MEMORY, 'no room for another record');
  ef.records.push(data.slice());
  return ef.records.length;
}

/** File descriptor byte (ISO 7816-4 §7.4.5, table 12). */
function descriptor(node: FsNode): number {
  switch (node.kind) {
    case 'df':
      return 0x38;
    case 'transparent':
      return 0x01;
    case 'linear-fixed':
      return 0x02;
    case 'linear-variable':
      return 0x04;
  }
}

/**
 * The file control parameters (ISO 7816-4 §7.4.3, table 12): 80 size,
 * 82 descriptor (+ data coding 21, max record size, number of records),
 * 83 FID, 84 DF name, 88 SFI, 8A life cycle 05 (operational, activated).
 * `template` is 62 (FCP, P2 04) or 6F (FCI, P2 00).
 */
export function encodeFileControl(node: FsNode, template: 0x62 | 0x6f): Uint8Array {
  const parts: Uint8Array[] = [];
  if (node.kind === 'transparent') parts.push(encodeTlv(0x80, u16be(node.data.length)));
  if (node.kind === 'linear-fixed' || node.kind === 'linear-variable') {
    parts.push(encodeTlv(0x80, u16be(node.recordLength * node.maxRecords)));
    parts.push(encodeTlv(0x82, Uint8Array.of(descriptor(node), 0x21, 0x00, node.recordLength, node.maxRecords)));
  } else {
    parts.push(encodeTlv(0x82, node.kind === 'df' ? Uint8Array.of(0x38) : Uint8Array.of(descriptor(node), 0x21)));
  }
  parts.push(encodeTlv(0x83, u16be(node.fid)));
  if (node.kind === 'df' && node.name !== undefined) parts.push(encodeTlv(0x84, node.name));
  if (node.kind !== 'df' && node.sfi !== undefined) parts.push(encodeTlv(0x88, Uint8Array.of(node.sfi << 3)));
  parts.push(encodeTlv(0x8a, Uint8Array.of(0x05)));
  return encodeTlv(template, concat(...parts));
}

/**
 * File commands of the ISD context (ISO 7816-4 §11.1-11.3). The file system
 * belongs to the card (the MF is the root of the card, as on native-OS
 * cards), and is reached while the ISD is the selected application; GPC
 * v2.3.1 §11.9.1 passes every SELECT other than [by name] to the selected
 * application, so selecting a file keeps the ISD and its secure channel.
 *
 * Access conditions (the card's fixed security attributes):
 * - SELECT, READ BINARY, READ RECORD: always (ALW), in every card life
 *   cycle state but TERMINATED (6985; SELECT there is 6A82).
 * - UPDATE BINARY, UPDATE RECORD, APPEND RECORD: only inside an
 *   authenticated SCP03 session (any level; 6982 otherwise), and only while
 *   card content may change (OP_READY, INITIALIZED, SECURED; 6985 in
 *   CARD_LOCKED). Inside a session, like every command but SELECT, they
 *   must carry the session's protection (CLA 04, C-MAC).
 *
 * Addressing: READ/UPDATE BINARY P1 b8 = 1 gives an SFI in b5-b1 and the
 * offset in P2; otherwise P1-P2 is a 15-bit offset into the current EF.
 * Record commands take the SFI in P2 b8-b4 (0 = current EF). Referencing an
 * EF by SFI makes it the current EF (ISO 7816-4 §7.2.2).
 */
import { SW } from '../../../card/status-words.js';
import { authenticated, type CommandContext } from './context.js';
import {
  appendRecord,
  currentDf,
  currentEf,
  efBySfi,
  encodeFileControl,
  readBinary,
  recordNumber,
  selectFile,
  updateBinary,
  updateRecord,
  type FsPointer,
} from './file-system.js';
import { contentChangesAllowed } from './life-cycle.js';
import { fail, ok, type Reply } from './reply.js';
import type { DfNode, EfNode } from './state.js';

/** SELECT by FID or path (P1 00/01/02/03/08/09); P2 00 FCI, 04 FCP, 0C nothing. */
export function selectByFid(ctx: CommandContext): Reply {
  const { p1, p2, data } = ctx.cmd;
  const response = p2 & 0x0c;
  if ((p2 & ~0x0c) !== 0 || response === 0x08) fail(SW.INCORRECT_P1P2, 'SELECT P2');
  const { ptr, node } = selectFile(ctx.tx.view.mf, ctx.session.fs, p1, data);
  ctx.session.fs = ptr;
  if (response === 0x0c) return ok();
  return ok(encodeFileControl(node, response === 0x04 ? 0x62 : 0x6f));
}

function requireWriteAccess(ctx: CommandContext): void {
  if (!authenticated(ctx)) fail(SW.SECURITY_STATUS_NOT_SATISFIED, 'file writes need a secure channel');
  if (!contentChangesAllowed(ctx.tx.view.lifeCycle)) fail(SW.CONDITIONS_NOT_SATISFIED, 'card life cycle');
}

/** Resolves the EF a command addresses (by SFI or the current EF) in `mf`, updating the pointer. */
function targetEf(ctx: CommandContext, mf: DfNode, sfi: number): { ef: EfNode; ptr: FsPointer } {
  const ptr = ctx.session.fs;
  if (sfi === 0) {
    const ef = currentEf(mf, ptr) ?? fail(SW.COMMAND_NOT_ALLOWED_NO_EF);
    return { ef, ptr };
  }
  const ef = efBySfi(currentDf(mf, ptr), sfi) ?? fail(SW.FILE_NOT_FOUND, 'no EF with that SFI');
  return { ef, ptr: { dfPath: ptr.dfPath, ef: ef.fid, record: ptr.ef === ef.fid ? ptr.record : undefined } };
}

/** P1-P2 of READ/UPDATE BINARY: an SFI (or 0) and an offset. */
function binaryAddress(p1: number, p2: number): { sfi: number; offset: number } {
  if ((p1 & 0x80) === 0) return { sfi: 0, offset: ((p1 & 0x7f) << 8) | p2 };
  if ((p1 & 0x60) !== 0 || (p1 & 0x1f) === 0 || (p1 & 0x1f) === 0x1f) fail(SW.INCORRECT_P1P2, 'SFI in P1');
  return { sfi: p1 & 0x1f, offset: p2 };
}

/** The SFI field of a record command's P2 (b8-b4). */
function recordSfi(p2: number): number {
  const sfi = p2 >>> 3;
  if (sfi === 0x1f) fail(SW.INCORRECT_P1P2, 'SFI 1F is RFU');
  return sfi;
}

export function readBinaryCmd(ctx: CommandContext): Reply {
  const { p1, p2, ne } = ctx.cmd;
  if (ne === undefined) fail(SW.WRONG_LENGTH, 'READ BINARY without Le');
  const { sfi, offset } = binaryAddress(p1, p2);
  const { ef, ptr } = targetEf(ctx, ctx.tx.view.mf, sfi);
  const r = readBinary(ef, offset, ne);
  ctx.session.fs = ptr;
  return ok(r.data, r.sw);
}

export function updateBinaryCmd(ctx: CommandContext): Reply {
  requireWriteAccess(ctx);
  const { sfi, offset } = binaryAddress(ctx.cmd.p1, ctx.cmd.p2);
  const { ef, ptr } = targetEf(ctx, ctx.tx.write().mf, sfi);
  updateBinary(ef, offset, ctx.cmd.data);
  ctx.session.fs = ptr;
  return ok();
}

export function readRecordCmd(ctx: CommandContext): Reply {
  const { p1, p2 } = ctx.cmd;
  if (ctx.cmd.ne === undefined) fail(SW.WRONG_LENGTH, 'READ RECORD without Le');
  const { ef, ptr } = targetEf(ctx, ctx.tx.view.mf, recordSfi(p2));
  const n = recordNumber(ef, ptr, p1, p2 & 0x07);
  ctx.session.fs = { ...ptr, record: n };
  return ok(ef.records[n - 1]!.slice());
}

export function updateRecordCmd(ctx: CommandContext): Reply {
  requireWriteAccess(ctx);
  const { p1, p2, data } = ctx.cmd;
  if ((p2 & 0x07) !== 0x04) fail(SW.INCORRECT_P1P2, 'UPDATE RECORD: record number in P1 only');
  const { ef, ptr } = targetEf(ctx, ctx.tx.write().mf, recordSfi(p2));
  const n = recordNumber(ef, ptr, p1, 0x04);
  updateRecord(ef, n, data);
  ctx.session.fs = { ...ptr, record: n };
  return ok();
}

export function appendRecordCmd(ctx: CommandContext): Reply {
  requireWriteAccess(ctx);
  const { p1, p2, data } = ctx.cmd;
  if (p1 !== 0x00 || (p2 & 0x07) !== 0x00) fail(SW.INCORRECT_P1P2, 'APPEND RECORD P1/P2');
  const { ef, ptr } = targetEf(ctx, ctx.tx.write().mf, recordSfi(p2));
  const n = appendRecord(ef, data);
  // ISO 7816-4 §11.3.6: the appended record becomes the current record.
  ctx.session.fs = { ...ptr, record: n };
  return ok();
}

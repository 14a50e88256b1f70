/**
 * The ISD's registry commands: GET STATUS (GPC v2.3.1 §11.4) and SET STATUS
 * (§11.10). Both need an authenticated secure channel (table 11-2): 6982
 * without one.
 *
 * GET STATUS (TLV format only, P2 b2 = 1; the deprecated format is 6A86):
 * - P1 80: the ISD (E3 { 4F, 9F70 card life cycle, C5 9EFE80 }).
 * - P1 40: the applications (E3 { 4F, 9F70, C5 000000, CC ISD AID }).
 * - P1 20 / 10: this card reports no Executable Load Files: 6A88.
 * - The 4F search value is an AID prefix (empty = all); no match is 6A88.
 *   A 5C tag list is accepted and ignored (every tag is returned).
 * - Answers longer than 232 bytes (room for R-ENC padding and R-MAC in 256)
 *   end with 6310; P2 b1 (get next) returns the rest. A get-next without a
 *   pending answer is 6985.
 *
 * SET STATUS:
 * - P1 80: card life cycle, P2 the new state (not a card state code: 6A86;
 *   a move life-cycle.ts does not allow: 6985).
 * - P1 40: lock (P2 b8 = 1) or unlock (b8 = 0) the application whose AID is
 *   the data (6A80 not an AID, 6A88 unknown). Locking a locked application
 *   or unlocking an unlocked one is 6985 (§11.10.2.2: no move to the
 *   current state). Not in CARD_LOCKED (6985).
 * - Other P1 (60, SD with its applications): 6A86.
 */
import { concat, equalBytes, startsWith } from '../../../card/bytes.js';
import { encodeGetStatusEntries, parseGetStatusCommand, SW_MORE_DATA, type RegistryEntry } from '../../../card/gp/get-status.js';
import { SW } from '../../../card/status-words.js';
import { authenticated, type CommandContext } from './context.js';
import { APP_LIFE_CYCLE, cardTransitionAllowed, contentChangesAllowed, isCardLifeCycle } from './life-cycle.js';
import { fail, ok, type Reply } from './reply.js';
import { endPerso } from './session.js';

/** ISD privileges: Security Domain, Card Lock, Card Terminate, Card Reset, CVM Management; Trusted Path,
 * Authorized Management, Token Management, Global Delete, Global Lock, Global Registry, Final Application;
 * Receipt Generation (GPC v2.3.1 tables 11-7..11-9). */
export const ISD_PRIVILEGES = 0x9efe80;
const MAX_CHUNK = 232;

function registry(ctx: CommandContext, p1: number): RegistryEntry[] {
  const s = ctx.tx.view;
  if (p1 === 0x80) return [{ aid: s.isd.aid, lifeCycle: s.lifeCycle, privileges: ISD_PRIVILEGES }];
  if (p1 === 0x40) {
    return s.apps.map((a) => ({ aid: a.aid, lifeCycle: a.lifeCycle, privileges: 0, securityDomainAid: s.isd.aid }));
  }
  return [];
}

/**
 * Splits registry entries into what fits one response (at least one entry)
 * and the rest, which waits for GET STATUS [get next] (§11.4.2.2).
 */
export function pageRegistry(entries: readonly RegistryEntry[], maxBytes = MAX_CHUNK): { data: Uint8Array; rest: RegistryEntry[] } {
  const out: Uint8Array[] = [];
  let size = 0;
  let taken = 0;
  for (const e of entries) {
    const enc = encodeGetStatusEntries([e]);
    if (taken > 0 && size + enc.length > maxBytes) break;
    out.push(enc);
    size += enc.length;
    taken++;
  }
  return { data: concat(...out), rest: entries.slice(taken) };
}

function page(ctx: CommandContext, p1: number, entries: RegistryEntry[]): Reply {
  const { data, rest } = pageRegistry(entries);
  ctx.session.getStatusRest = rest.length > 0 ? { p1, entries: rest } : undefined;
  return ok(data, rest.length > 0 ? SW_MORE_DATA : SW.OK);
}

export function getStatus(ctx: CommandContext): Reply {
  if (!authenticated(ctx)) fail(SW.SECURITY_STATUS_NOT_SATISFIED, 'GET STATUS needs a secure channel');
  const req = parseGetStatusCommand(ctx.cmd.p1, ctx.cmd.p2, ctx.cmd.data);
  if (req.next) {
    const pending = ctx.session.getStatusRest;
    if (pending?.p1 !== req.subset) fail(SW.CONDITIONS_NOT_SATISFIED, 'no GET STATUS to continue');
    return page(ctx, req.subset, pending.entries);
  }
  const found = registry(ctx, req.subset).filter((e) => startsWith(e.aid, req.aidFilter));
  if (found.length === 0) {
    ctx.session.getStatusRest = undefined;
    fail(SW.REFERENCED_DATA_NOT_FOUND, 'GET STATUS: nothing found');
  }
  return page(ctx, req.subset, found);
}

export function setStatus(ctx: CommandContext): Reply {
  if (!authenticated(ctx)) fail(SW.SECURITY_STATUS_NOT_SATISFIED, 'SET STATUS needs a secure channel');
  const { p1, p2, data } = ctx.cmd;
  if (p1 === 0x80) {
    if (!isCardLifeCycle(p2)) fail(SW.INCORRECT_P1P2, 'SET STATUS: not a card life cycle state');
    if (!cardTransitionAllowed(ctx.tx.view.lifeCycle, p2)) fail(SW.CONDITIONS_NOT_SATISFIED, 'card life cycle transition');
    ctx.tx.write().lifeCycle = p2;
    ctx.log.info('card life cycle', { lifeCycle: p2 });
    return ok();
  }
  if (p1 !== 0x40) fail(SW.INCORRECT_P1P2, 'SET STATUS P1');
  if (data.length < 5 || data.length > 16) fail(SW.WRONG_DATA, 'SET STATUS: AID length');
  if (!contentChangesAllowed(ctx.tx.view.lifeCycle)) fail(SW.CONDITIONS_NOT_SATISFIED, 'card life cycle');
  const index = ctx.tx.view.apps.findIndex((a) => equalBytes(a.aid, data));
  if (index < 0) fail(SW.REFERENCED_DATA_NOT_FOUND, 'SET STATUS: application');
  const app = ctx.tx.write().apps[index]!;
  const lock = (p2 & 0x80) !== 0;
  const locked = app.lifeCycle === APP_LIFE_CYCLE.LOCKED;
  if (lock === locked) fail(SW.CONDITIONS_NOT_SATISFIED, 'application already in that state');
  if (lock) {
    app.lockedFrom = app.lifeCycle;
    app.lifeCycle = APP_LIFE_CYCLE.LOCKED;
    if (ctx.session.perso !== undefined && equalBytes(ctx.session.perso.aid, app.aid)) endPerso(ctx.session);
  } else {
    app.lifeCycle = app.lockedFrom ?? APP_LIFE_CYCLE.SELECTABLE;
    app.lockedFrom = undefined;
  }
  ctx.log.info('application life cycle', { lifeCycle: app.lifeCycle });
  return ok();
}

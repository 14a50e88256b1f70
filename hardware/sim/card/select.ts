/**
 * SELECT (GPC v2.3.1 §11.9, ISO 7816-4 §11.1.1).
 *
 * By name (P1 04), handled by the OS for every context:
 * - Empty data selects the ISD (§11.9.2.3). Otherwise the data is a full or
 *   partial AID, matched against the registry in order (ISD, then the
 *   applications); P2 b2b1 = 10 (next occurrence) continues after the
 *   currently selected one. P2 b4b3: 00 FCI, 04 FCP (answered with the
 *   FCI too), 0C no data; other P2 values are 6A86.
 * - Applications that are INSTALLED or LOCKED cannot be selected (§5.3.1):
 *   6A82. In CARD_LOCKED only the ISD can (it has the Final Application
 *   privilege, §5.1.1.4): it answers its FCI with 6283, anything else is 6A81
 *   (table 11-84). In TERMINATED the ISD answers, anything else is 6A82.
 * - A successful SELECT ends the secure channel session and any
 *   personalization session (§10.2.3, §11.11.1), even when it selects the
 *   ISD again; a failed one changes nothing.
 * - SELECT never carries secure messaging: CLA 04 is 6882 (table 11-84).
 *
 * Any other P1 selects a file and goes to the selected application
 * (§11.9.1): the ISD has the file system (fs-commands.ts), the
 * personalization application has none (6A82).
 */
import { equalBytes, startsWith } from '../../../card/bytes.js';
import { SW } from '../../../card/status-words.js';
import type { CommandContext } from './context.js';
import { isdFci } from './isd-data.js';
import { appSelectable, CARD_LIFE_CYCLE } from './life-cycle.js';
import { appFci } from './perso-app.js';
import { fail, ok, type Reply } from './reply.js';
import { AT_MF } from './file-system.js';
import { endSecureChannel, type Selected } from './session.js';
import { selectByFid } from './fs-commands.js';

interface Candidate {
  readonly selected: Selected;
  readonly aid: Uint8Array;
  readonly selectable: boolean;
}

function candidates(ctx: CommandContext): Candidate[] {
  const s = ctx.tx.view;
  const out: Candidate[] = [{ selected: { kind: 'isd' }, aid: s.isd.aid, selectable: true }];
  for (const app of s.apps) out.push({ selected: { kind: 'app', aid: app.aid }, aid: app.aid, selectable: appSelectable(app.lifeCycle) });
  return out;
}

function isCurrent(ctx: CommandContext, c: Candidate): boolean {
  const cur = ctx.session.selected;
  if (cur.kind === 'isd') return c.selected.kind === 'isd';
  return c.selected.kind === 'app' && equalBytes(c.aid, cur.aid);
}

function selectByName(ctx: CommandContext): Reply {
  const { p2, data } = ctx.cmd;
  const occurrence = p2 & 0x03;
  const response = p2 & 0x0c;
  if ((p2 & 0xf0) !== 0 || occurrence === 0x01 || occurrence === 0x03 || response === 0x08) fail(SW.INCORRECT_P1P2, 'SELECT P2');
  const all = candidates(ctx);
  let found: Candidate | undefined;
  if (data.length === 0) found = all[0];
  else {
    const matching = all.filter((c) => startsWith(c.aid, data));
    const from = occurrence === 0x02 ? matching.findIndex((c) => isCurrent(ctx, c)) + 1 : 0;
    found = matching[from];
  }
  if (found === undefined) fail(SW.FILE_NOT_FOUND, 'SELECT: no such application');
  const lc = ctx.tx.view.lifeCycle;
  const isd = found.selected.kind === 'isd';
  if (!isd && lc === CARD_LIFE_CYCLE.CARD_LOCKED) fail(SW.FUNCTION_NOT_SUPPORTED, 'SELECT: card locked');
  if (!isd && (lc === CARD_LIFE_CYCLE.TERMINATED || !found.selectable)) fail(SW.FILE_NOT_FOUND, 'SELECT: not selectable');

  endSecureChannel(ctx.session);
  ctx.session.selected = found.selected;
  ctx.session.fs = AT_MF;
  const sw = isd && lc === CARD_LIFE_CYCLE.CARD_LOCKED ? 0x6283 : SW.OK;
  if (response === 0x0c) return ok(new Uint8Array(0), sw);
  if (isd) return ok(isdFci(ctx.tx.view), sw);
  const app = ctx.tx.view.apps.find((a) => equalBytes(a.aid, found.aid))!;
  return ok(appFci(app), sw);
}

export function select(ctx: CommandContext): Reply {
  if (ctx.cls.sm) fail(SW.SECURE_MESSAGING_NOT_SUPPORTED, 'SELECT with secure messaging');
  if (ctx.cmd.p1 === 0x04) return selectByName(ctx);
  if (ctx.tx.view.lifeCycle === CARD_LIFE_CYCLE.TERMINATED) fail(SW.FILE_NOT_FOUND, 'SELECT: card terminated');
  if (ctx.session.selected.kind !== 'isd') fail(SW.FILE_NOT_FOUND, 'SELECT: the application has no files');
  return selectByFid(ctx);
}

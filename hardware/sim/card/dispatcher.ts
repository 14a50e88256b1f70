/**
 * The card OS's command pipeline: one command APDU in, one response APDU
 * out, never an exception (GPC v2.3.1 §6.3 command dispatch). Checks run in
 * this order, each answering the status word a GlobalPlatform card gives:
 *
 *   1. fewer than 4 bytes                                6700
 *   2. class byte (cla.ts)                               6E00 / 6881 / 6884 / 6882
 *   3. length fields: wrong Lc, truncated, extended      6700 (the ATR announces
 *      (this card has no extended length), oversized          no extended length)
 *   4. MANAGE CHANNEL                                    6881 (no logical channels)
 *   5. INS unknown to the selected application           6D00
 *   6. INS known, but not with this class (80 A4, 00 50) 6E00
 *   7. card TERMINATED: all but SELECT and GET DATA      6985 (§5.1.1.5)
 *   8. secure messaging (below)                          6982
 *   9. the handler                                       its own SW
 *
 * Secure messaging on the ISD (GPC v2.3.1 §10.2.3, Amd D §6.2):
 * - EXTERNAL AUTHENTICATE goes to the channel with its raw bytes.
 * - Inside an authenticated session every command but SELECT and
 *   INITIALIZE UPDATE is unwrapped by the channel: a wrong or missing C-MAC,
 *   a replayed command (its MAC no longer matches the chain) or a bad
 *   cryptogram ends the session with 6982. Responses get R-MAC / R-ENC at
 *   the session's level.
 * - Outside a session a command with CLA b3 (secure messaging) is 6982.
 * - A command other than EXTERNAL AUTHENTICATE after INITIALIZE UPDATE
 *   abandons the half-open session.
 * The personalization application has no secure channel of its own: CLA 04
 * / 84 there is 6882.
 *
 * Handlers work on a Transaction; when one throws, its draft is discarded,
 * so a rejected command writes nothing.
 */
import { parseCommand, type CommandApdu, encodeResponse } from '../../../card/apdu.js';
import { equalBytes } from '../../../card/bytes.js';
import { isCardError } from '../../../card/errors.js';
import { INS as GP_INS } from '../../../card/gp/constants.js';
import { SW } from '../../../card/status-words.js';
import type { Logger } from '../../../common/log.js';
import { decodeCla, type ClassInfo } from './cla.js';
import type { CommandContext } from './context.js';
import { appendRecordCmd, readBinaryCmd, readRecordCmd, updateBinaryCmd, updateRecordCmd } from './fs-commands.js';
import { externalAuthenticate, initializeUpdate } from './isd-auth.js';
import { isdGetData } from './isd-data.js';
import { putKey } from './isd-keys.js';
import { installForPersonalization, storeData } from './isd-perso.js';
import { getStatus, setStatus } from './isd-registry.js';
import { CARD_LIFE_CYCLE } from './life-cycle.js';
import { appGetData, appReadRecord } from './perso-app.js';
import { swForError, type Reply } from './reply.js';
import { select } from './select.js';
import { endSecureChannel, type Session } from './session.js';
import type { AppState } from './state.js';
import type { Transaction } from './transaction.js';

type Handler = (ctx: CommandContext) => Reply;

interface Route {
  /** Handler for an ISO class byte (b8 = 0). */
  readonly iso?: Handler;
  /** Handler for a GlobalPlatform class byte (b8 = 1). */
  readonly gp?: Handler;
  /** Processed in TERMINATED (§5.1.1.5: GET DATA, and SELECT of the ISD). */
  readonly terminated?: boolean;
}

/** GlobalPlatform's instruction codes, and MANAGE CHANNEL (ISO 7816-4 §11.1.2), which this card refuses. */
const INS = { ...GP_INS, MANAGE_CHANNEL: 0x70 } as const;

const notReached: Handler = () => {
  throw new Error('EXTERNAL AUTHENTICATE is dispatched before routing');
};

/** The ISD's instructions (GPC v2.3.1 table 11-1 and ISO 7816-4 file commands). */
const ISD_ROUTES: ReadonlyMap<number, Route> = new Map<number, Route>([
  [INS.SELECT, { iso: select, terminated: true }],
  [INS.GET_DATA, { iso: isdGetData, gp: isdGetData, terminated: true }],
  [INS.INITIALIZE_UPDATE, { gp: initializeUpdate }],
  [INS.EXTERNAL_AUTHENTICATE, { gp: notReached }],
  [INS.GET_STATUS, { gp: getStatus }],
  [INS.SET_STATUS, { gp: setStatus }],
  [INS.PUT_KEY, { gp: putKey }],
  [INS.INSTALL, { gp: installForPersonalization }],
  // E2 is STORE DATA with a GlobalPlatform class and APPEND RECORD with an ISO one.
  [INS.STORE_DATA, { gp: storeData, iso: appendRecordCmd }],
  [0xb0, { iso: readBinaryCmd }],
  [0xd6, { iso: updateBinaryCmd }],
  [0xb2, { iso: readRecordCmd }],
  [0xdc, { iso: updateRecordCmd }],
]);

function withApp(fn: (ctx: CommandContext, app: AppState) => Reply): Handler {
  return (ctx) => {
    const sel = ctx.session.selected;
    const app = sel.kind === 'app' ? ctx.tx.view.apps.find((a) => equalBytes(a.aid, sel.aid)) : undefined;
    if (app === undefined) throw new Error('application context without its application');
    return fn(ctx, app);
  };
}

/** The personalization application's instructions (perso-app.ts). */
const APP_ROUTES: ReadonlyMap<number, Route> = new Map<number, Route>([
  [INS.SELECT, { iso: select, terminated: true }],
  [INS.GET_DATA, { iso: withApp(appGetData), gp: withApp(appGetData) }],
  [0xb2, { iso: withApp(appReadRecord) }],
]);

export interface OsServices {
  readonly random: (n: number) => Uint8Array;
  readonly log: Logger;
}

function swOnly(sw: number): Uint8Array {
  return encodeResponse({ data: new Uint8Array(0), sw });
}

function parse(bytes: Uint8Array): CommandApdu | undefined {
  try {
    const cmd = parseCommand(bytes);
    return cmd.extended ? undefined : cmd;
  } catch (e) {
    if (isCardError(e, 'APDU_MALFORMED')) return undefined;
    throw e;
  }
}

/** Runs a handler, mapping what it throws to a status word and dropping the draft on failure. */
function run(handler: Handler, ctx: CommandContext): Reply {
  try {
    return handler(ctx);
  } catch (e) {
    ctx.tx.discard();
    const sw = swForError(e);
    if (sw !== undefined) return { data: new Uint8Array(0), sw };
    ctx.log.error('command failed unexpectedly', { ins: ctx.cmd.ins, err: e });
    return { data: new Uint8Array(0), sw: SW.NO_PRECISE_DIAGNOSIS };
  }
}

/**
 * Processes one command APDU against `tx` and `session`. Returns the full
 * response (data ‖ SW). The caller commits `tx.changed` if there is one.
 */
export function processApdu(bytes: Uint8Array, tx: Transaction, session: Session, svc: OsServices): Uint8Array {
  if (bytes.length < 4) return swOnly(SW.WRONG_LENGTH);
  const claCheck = decodeCla(bytes[0]!);
  if (!claCheck.ok) return swOnly(claCheck.sw);
  const cls: ClassInfo = claCheck.info;
  const parsed = parse(bytes);
  if (parsed === undefined) return swOnly(SW.WRONG_LENGTH);
  const ins = parsed.ins;
  if (ins === INS.MANAGE_CHANNEL) return swOnly(SW.LOGICAL_CHANNEL_NOT_SUPPORTED);
  const onIsd = session.selected.kind === 'isd';
  const route = (onIsd ? ISD_ROUTES : APP_ROUTES).get(ins);
  if (route === undefined) return swOnly(SW.INS_NOT_SUPPORTED);
  const handler = cls.gp ? route.gp : route.iso;
  if (handler === undefined) return swOnly(SW.CLA_NOT_SUPPORTED);
  if (tx.view.lifeCycle === CARD_LIFE_CYCLE.TERMINATED && route.terminated !== true) return swOnly(SW.CONDITIONS_NOT_SATISFIED);

  const base = { cls, tx, session, random: svc.random, log: svc.log };
  if (ins === INS.SELECT) return encodeResponse(run(select, { ...base, cmd: parsed }));
  if (!onIsd) {
    if (cls.sm) return swOnly(SW.SECURE_MESSAGING_NOT_SUPPORTED);
    return encodeResponse(run(handler, { ...base, cmd: parsed }));
  }
  if (ins === INS.EXTERNAL_AUTHENTICATE) {
    return encodeResponse(run(() => externalAuthenticate(session, parsed), { ...base, cmd: parsed }));
  }
  if (ins === INS.INITIALIZE_UPDATE) {
    if (cls.sm) return swOnly(SW.CLA_NOT_SUPPORTED);
    return encodeResponse(run(handler, { ...base, cmd: parsed }));
  }

  const channel = session.channel;
  if (channel !== undefined && !channel.authenticated) endSecureChannel(session);
  let cmd: CommandApdu = parsed;
  const viaChannel = channel?.authenticated === true;
  if (viaChannel) {
    try {
      cmd = channel.unwrapCommand(parsed);
    } catch (e) {
      endSecureChannel(session);
      return swOnly(swForError(e) ?? SW.SECURITY_STATUS_NOT_SATISFIED);
    }
  } else if (cls.sm) {
    return swOnly(SW.SECURITY_STATUS_NOT_SATISFIED);
  }
  const reply = run(handler, { ...base, cmd });
  if (!viaChannel || session.channel !== channel || !channel.authenticated) return encodeResponse(reply);
  try {
    return encodeResponse(channel.wrapResponse(reply));
  } catch (e) {
    tx.discard();
    svc.log.error('response protection failed', { err: e });
    return swOnly(SW.NO_PRECISE_DIAGNOSIS);
  }
}

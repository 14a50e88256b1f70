/**
 * Personalization through the ISD (GPC v2.3.1 §7.3.2, §11.5.2.3.6, §11.11):
 * INSTALL [for personalization] names the target application, then STORE
 * DATA blocks carry its DGIs and the ISD forwards them.
 *
 * INSTALL `80 E6 20 00 Lc 00 00 <len> <AID> 00 00 00 00`:
 * - Needs an authenticated secure channel: 6982. Not in CARD_LOCKED: 6985.
 * - Other INSTALL variants (P1 other than 20, P2 not 00): 6A86; this card
 *   loads and installs nothing.
 * - Malformed data 6A80 (card/gp parseInstallForPersonalization); unknown
 *   application (or the ISD itself) 6A88; an application that is not
 *   SELECTABLE (already PERSONALIZED, or LOCKED) 6985.
 * - Answers `00` (§11.5.3.1) and starts a personalization session, ending
 *   any earlier one.
 *
 * STORE DATA `80 E2 P1 P2 Lc <DGIs>`:
 * - Needs an authenticated secure channel: 6982. Without a personalization
 *   session (this ISD takes no data for itself): 6985.
 * - The session's level must include the application's demand (default
 *   C-MAC + C-DECRYPTION, SL 03): 6982 otherwise.
 * - Blocks come 00, 01, 02... A gap or a repeat is 6A86 (§11.11.2.2); the
 *   block counter and any partial DGI are then reset, so the host restarts
 *   from block 00 (DGIs already committed stay).
 * - P1 per card/gp parseStoreDataP1: BER-TLV format is 6A80 (the
 *   application takes DGIs), RFU values 6A86. Both P1 conventions work: 00/60
 *   (tools) and 08/68 (GP format bits).
 * - Each command commits the DGIs it completes, and nothing if it fails;
 *   a DGI split across blocks commits with the block that completes it.
 *   The last block (P1 b8) must leave no partial DGI (6A80); when it
 *   commits, the application becomes PERSONALIZED and the session ends.
 */
import { equalBytes } from '../../../card/bytes.js';
import { DgiStreamParser, type Dgi } from '../../../card/dgi.js';
import { checkInstallForPersonalizationParams, parseInstallForPersonalization } from '../../../card/gp/install.js';
import { StoreDataSequence } from '../../../card/gp/store-data.js';
import { SW } from '../../../card/status-words.js';
import { authenticated, securityLevel, type CommandContext } from './context.js';
import { APP_LIFE_CYCLE, contentChangesAllowed } from './life-cycle.js';
import { storeDgi } from './perso-app.js';
import { fail, ok, type Reply } from './reply.js';
import { endPerso } from './session.js';

export function installForPersonalization(ctx: CommandContext): Reply {
  if (!authenticated(ctx)) fail(SW.SECURITY_STATUS_NOT_SATISFIED, 'INSTALL needs a secure channel');
  checkInstallForPersonalizationParams(ctx.cmd.p1, ctx.cmd.p2);
  if (!contentChangesAllowed(ctx.tx.view.lifeCycle)) fail(SW.CONDITIONS_NOT_SATISFIED, 'card life cycle');
  const aid = parseInstallForPersonalization(ctx.cmd.data);
  const app = ctx.tx.view.apps.find((a) => equalBytes(a.aid, aid)) ?? fail(SW.REFERENCED_DATA_NOT_FOUND, 'INSTALL: no such application');
  if (app.lifeCycle !== APP_LIFE_CYCLE.SELECTABLE) fail(SW.CONDITIONS_NOT_SATISFIED, 'INSTALL: application not personalizable');
  endPerso(ctx.session);
  ctx.session.perso = { aid, blocks: new StoreDataSequence(), parser: new DgiStreamParser() };
  ctx.log.info('personalization session', { persoLevel: app.persoLevel });
  return ok(Uint8Array.of(0x00));
}

export function storeData(ctx: CommandContext): Reply {
  if (!authenticated(ctx)) fail(SW.SECURITY_STATUS_NOT_SATISFIED, 'STORE DATA needs a secure channel');
  const perso = ctx.session.perso ?? fail(SW.CONDITIONS_NOT_SATISFIED, 'STORE DATA without a personalization session');
  let dgis: Dgi[] = [];
  try {
    if (!contentChangesAllowed(ctx.tx.view.lifeCycle)) fail(SW.CONDITIONS_NOT_SATISFIED, 'card life cycle');
    const index = ctx.tx.view.apps.findIndex((a) => equalBytes(a.aid, perso.aid));
    const current = ctx.tx.view.apps[index];
    if (current?.lifeCycle !== APP_LIFE_CYCLE.SELECTABLE) fail(SW.CONDITIONS_NOT_SATISFIED, 'application not personalizable');
    const demanded = current.persoLevel;
    if ((securityLevel(ctx) & demanded) !== demanded) fail(SW.SECURITY_STATUS_NOT_SATISFIED, 'security level below the application demand');
    const p1 = perso.blocks.accept(ctx.cmd.p1, ctx.cmd.p2);
    if (p1.format === 'ber-tlv') fail(SW.WRONG_DATA, 'STORE DATA: the application takes DGIs');
    dgis = perso.parser.push(ctx.cmd.data);
    if (p1.last) perso.parser.finish();
    const dek = ctx.session.dek ?? fail(SW.SECURITY_STATUS_NOT_SATISFIED, 'no session DEK');
    if (dgis.length > 0 || p1.last) {
      const app = ctx.tx.write().apps[index]!;
      for (const dgi of dgis) storeDgi(app, dgi, dek, p1.encryption === 'all');
      if (p1.last) app.lifeCycle = APP_LIFE_CYCLE.PERSONALIZED;
    }
    ctx.log.debug('store data', { block: ctx.cmd.p2, dgis: dgis.map((d) => d.tag), last: p1.last });
    if (p1.last) {
      endPerso(ctx.session);
      ctx.log.info('application personalized');
    }
    return ok();
  } catch (e) {
    // GPC v2.3.1 §11.11.2.2: a rejected STORE DATA resets the block counter; the partial DGI goes with it.
    perso.blocks.reset();
    perso.parser.reset();
    throw e;
  } finally {
    // The parser's copies; what was stored lives in the draft.
    for (const dgi of dgis) dgi.value.fill(0);
  }
}

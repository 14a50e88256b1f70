/**
 * PUT KEY on the ISD (GPC v2.3.1 §11.8): replace a key set or add one.
 *
 *   80 D8 <KVN to replace | 00 new> 81 Lc <new KVN> (88 <len> <DEK-encrypted key> 03 <KCV>) ×3 00
 *
 * - Needs an authenticated secure channel (table 11-2) with at least C-MAC
 *   (table 11-2's note allows a higher minimum; this card demands it, so no
 *   unMACed command can replace keys): 6982.
 * - Not in CARD_LOCKED or TERMINATED (§5.1.1.4): 6985.
 * - Only whole SCP03 key sets: P2 must be 81 (key id 1, several keys) and
 *   the data must hold three AES keys of one length (16, 24 or 32): 6A86 /
 *   6A80 otherwise. PUT KEY chaining (P1 b8) is not supported: 6A86
 *   (§11.1.5.1).
 * - Keys arrive under the static Key-DEK of the session's key set, with
 *   their check values: a wrong KCV is 6982 (table 11-78), anything
 *   malformed 6A80 (card/gp parsePutKey).
 * - Replacing: P1 names an existing KVN (6A88 otherwise); the new KVN may
 *   differ but must not collide with another set (6A80). Adding (P1 00): the
 *   new KVN must be free (6A80); at most MAX_KEY_SETS sets (6A84).
 * - Response: new KVN ‖ the three KCVs (§11.8.3.1).
 *
 * A session keeps the session keys it derived, so replacing its own key
 * set does not break it; the next INITIALIZE UPDATE uses the new keys.
 */
import { zeroize } from '../../../card/bytes.js';
import { expectedPutKeyResponse, parsePutKey, parsePutKeyParams } from '../../../card/gp/put-key.js';
import { SL } from '../../../card/scp03/types.js';
import { SW } from '../../../card/status-words.js';
import { authenticated, securityLevel, type CommandContext } from './context.js';
import { contentChangesAllowed } from './life-cycle.js';
import { fail, ok, type Reply } from './reply.js';

export const MAX_KEY_SETS = 8;

export function putKey(ctx: CommandContext): Reply {
  if (!authenticated(ctx)) fail(SW.SECURITY_STATUS_NOT_SATISFIED, 'PUT KEY needs a secure channel');
  // Table 11-2 asks only AUTHENTICATED, and allows more: at level 00 nothing binds the command to the
  // session, so a PUT KEY captured from an earlier session could be replayed to roll keys back.
  if ((securityLevel(ctx) & SL.CMAC) === 0) fail(SW.SECURITY_STATUS_NOT_SATISFIED, 'PUT KEY needs at least C-MAC');
  if (!contentChangesAllowed(ctx.tx.view.lifeCycle)) fail(SW.CONDITIONS_NOT_SATISFIED, 'card life cycle');
  const params = parsePutKeyParams(ctx.cmd.p1, ctx.cmd.p2);
  if (params.more || !params.multiple || params.firstKeyId !== 1) fail(SW.INCORRECT_P1P2, 'PUT KEY: only whole key sets (P2 81)');
  const dek = ctx.session.dek ?? fail(SW.SECURITY_STATUS_NOT_SATISFIED, 'no session DEK');
  const { newKvn, keys } = parsePutKey(ctx.cmd.data, dek, 1);
  try {
    const [enc, mac, keyDek] = keys;
    if (keys.length !== 3 || enc === undefined || mac === undefined || keyDek === undefined) {
      fail(SW.WRONG_DATA, `PUT KEY: ${keys.length} keys (expected ENC, MAC, DEK)`);
    }
    if (mac.key.length !== enc.key.length || keyDek.key.length !== enc.key.length) fail(SW.WRONG_DATA, 'PUT KEY: keys of different lengths');
    const sets = ctx.tx.view.isd.keySets;
    const replace = params.replaceKvn;
    const index = replace === 0 ? -1 : sets.findIndex((k) => k.kvn === replace);
    if (replace !== 0 && index < 0) fail(SW.REFERENCED_DATA_NOT_FOUND, 'PUT KEY: key version to replace');
    if (sets.some((k, i) => k.kvn === newKvn && i !== index)) fail(SW.WRONG_DATA, 'PUT KEY: new key version already in use');
    if (replace === 0 && sets.length >= MAX_KEY_SETS) fail(SW.NOT_ENOUGH_MEMORY, 'PUT KEY: no room for another key set');
    const entry = { kvn: newKvn, enc: enc.key.slice(), mac: mac.key.slice(), dek: keyDek.key.slice() };
    const draft = ctx.tx.write().isd.keySets;
    if (index < 0) draft.push(entry);
    else draft[index] = entry;
    ctx.log.info('put key', { replaced: replace, kvn: newKvn, keyLength: enc.key.length });
    return ok(expectedPutKeyResponse(newKvn, [enc.key, mac.key, keyDek.key]));
  } finally {
    for (const k of keys) zeroize(k.key);
  }
}

/**
 * SCP03 session opening on the ISD: INITIALIZE UPDATE and EXTERNAL
 * AUTHENTICATE (GPC v2.3.1 §E.5.1-2 as applied by Amd D §7.1).
 *
 * INITIALIZE UPDATE `80 50 KVN 00 08 <host challenge> 00`:
 * - KVN 00 picks the first key set; an unknown KVN is 6A88; P2 other than 00
 *   is 6A86; a challenge other than 8 bytes is 6700 (S8 mode only).
 * - With a pseudo-random challenge (i b5) the sequence counter is
 *   incremented and persisted before it is used (Amd D §6.2.2.1): the first
 *   session of a card answers 000001. The increment is a write like any
 *   other, so it is atomic and survives power cuts.
 * - Any session in progress ends first, with its personalization session.
 *
 * EXTERNAL AUTHENTICATE `84 82 SL 00 10 <host cryptogram ‖ C-MAC>` must come
 * right after INITIALIZE UPDATE (else 6985); failures are those of
 * CardSecureChannel (6300 cryptogram, 6982 C-MAC, 6A86 level) and end the
 * session attempt.
 */
import type { CommandApdu } from '../../../card/apdu.js';
import { CardSecureChannel, I_PARAM } from '../../../card/scp03/index.js';
import { StatusWordError, SW } from '../../../card/status-words.js';
import type { CommandContext } from './context.js';
import { fail, ok, type Reply } from './reply.js';
import { endSecureChannel, type Session } from './session.js';

const MAX_COUNTER = 0xffffff;

export function initializeUpdate(ctx: CommandContext): Reply {
  const { cmd, session } = ctx;
  endSecureChannel(session);
  if (cmd.p2 !== 0x00) fail(SW.INCORRECT_P1P2, 'INITIALIZE UPDATE P2');
  if (cmd.data.length !== 8) fail(SW.WRONG_LENGTH, 'host challenge');
  const isd = ctx.tx.view.isd;
  const keySet = cmd.p1 === 0x00 ? isd.keySets[0] : isd.keySets.find((k) => k.kvn === cmd.p1);
  if (keySet === undefined) fail(SW.REFERENCED_DATA_NOT_FOUND, 'key version');
  let counter = isd.sequenceCounter;
  if ((isd.i & I_PARAM.PSEUDO_RANDOM) !== 0) {
    // Exhausted counter: no new pseudo-random challenge can be made.
    if (counter >= MAX_COUNTER) fail(SW.CONDITIONS_NOT_SATISFIED, 'sequence counter exhausted');
    counter += 1;
    ctx.tx.write().isd.sequenceCounter = counter;
  }
  const { channel, response } = CardSecureChannel.initializeUpdate({
    keys: { enc: keySet.enc, mac: keySet.mac, dek: keySet.dek, kvn: keySet.kvn },
    hostChallenge: cmd.data,
    kdd: ctx.tx.view.kdd,
    i: isd.i,
    sequenceCounter: counter,
    aid: isd.aid,
    random: ctx.random,
    counterOnlyWithData: isd.counterOnlyWithData,
  });
  session.channel = channel;
  session.dek = keySet.dek.slice();
  ctx.log.debug('initialize update', { kvn: keySet.kvn, i: isd.i });
  return ok(response);
}

/** Verifies EXTERNAL AUTHENTICATE on the raw (still protected) command. */
export function externalAuthenticate(session: Session, raw: CommandApdu): Reply {
  const channel = session.channel;
  if (channel === undefined || channel.authenticated) {
    endSecureChannel(session);
    fail(SW.CONDITIONS_NOT_SATISFIED, 'EXTERNAL AUTHENTICATE without INITIALIZE UPDATE');
  }
  try {
    channel.externalAuthenticate(raw);
  } catch (e) {
    // CardSecureChannel has already closed itself; drop it so the next attempt starts clean.
    endSecureChannel(session);
    if (e instanceof StatusWordError) throw e;
    fail(SW.SECURITY_STATUS_NOT_SATISFIED, 'EXTERNAL AUTHENTICATE');
  }
  return ok();
}

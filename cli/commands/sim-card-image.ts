/**
 * `--state FILE` with an existing image: the card in the file already has
 * its keys, so --keys / --master / --kvn / --i may only restate them.
 *
 * Decision: rather than reading keys out of the image, the command asks the
 * card, as any host would: SELECT the ISD, INITIALIZE UPDATE (with --kvn, or
 * 00 = first key set), then checks the i parameter, the key version and the
 * card cryptogram against the given keys (for --master: the keys KDF3
 * derives from it and the card's KDD). A mismatch is a usage error naming
 * the option. Side effect, as on a real card: with i=70 the card's sequence
 * counter advances by one.
 */
import { randomBytes } from 'node:crypto';
import { encodeCommand, parseResponse } from '../../card/apdu.js';
import { zeroize } from '../../card/bytes.js';
import { diversifyKdf3 } from '../../card/diversify.js';
import { isCardError } from '../../card/errors.js';
import { selectIsd } from '../../card/gp/select.js';
import { HostSecureChannel } from '../../card/scp03/host-channel.js';
import { initializeUpdateCommand, parseInitializeUpdateResponse } from '../../card/scp03/initialize-update.js';
import type { CardEndpoint } from '../../hardware/sim/card-endpoint.js';
import { UsageError } from '../command.js';
import type { SimCardArgs } from './sim-card-options.js';

const SW_OK = 0x9000;
const SW_REFERENCED_DATA_NOT_FOUND = 0x6a88;

export async function checkImageMatches(card: CardEndpoint, args: SimCardArgs, file: string): Promise<void> {
  if (!args.keys && !args.master && args.kvn === undefined && args.i === undefined) return;
  await card.powerOn();
  try {
    const sel = parseResponse(await card.transmit(encodeCommand(selectIsd())));
    if (sel.sw !== SW_OK) throw new UsageError(`--state ${file}: the card's ISD cannot be selected (SW ${hex4(sel.sw)})`);
    const hostChallenge = new Uint8Array(randomBytes(8));
    const kvn = args.kvn ?? 0;
    const iu = parseResponse(await card.transmit(encodeCommand(initializeUpdateCommand(kvn, hostChallenge))));
    if (iu.sw === SW_REFERENCED_DATA_NOT_FOUND) throw new UsageError(`--kvn ${kvn}: the card in ${file} has no key set of that version`);
    if (iu.sw !== SW_OK) throw new UsageError(`--state ${file}: INITIALIZE UPDATE failed (SW ${hex4(iu.sw)})`);
    const r = parseInitializeUpdateResponse(iu.data);
    if (args.i !== undefined && r.i !== args.i) {
      throw new UsageError(`--i ${hex2(args.i)}: the card in ${file} uses i=${hex2(r.i)}`);
    }
    if (!args.keys && !args.master) return;
    const derived = args.master ? diversifyKdf3(args.master, r.kdd) : undefined;
    const keys = { ...(args.keys ?? derived!), kvn: r.kvn };
    try {
      HostSecureChannel.open({ keys, hostChallenge, initUpdateResponse: iu.data, securityLevel: 0x01 }).close();
    } catch (e) {
      if (isCardError(e, 'CARD_CRYPTOGRAM')) {
        throw new UsageError(`${args.keys ? '--keys' : '--master'}: not the keys of the card in ${file} (its cryptogram does not verify)`);
      }
      throw e;
    } finally {
      if (derived) zeroize(derived.enc, derived.mac, derived.dek);
    }
  } finally {
    card.powerOff();
  }
}

function hex2(n: number): string {
  return n.toString(16).padStart(2, '0').toUpperCase();
}

function hex4(n: number): string {
  return n.toString(16).padStart(4, '0').toUpperCase();
}

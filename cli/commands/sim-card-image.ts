/**
 * `--state FILE` with an existing image: the card in the file already has
 * its keys, so --keys / --master / --kvn / --i may only restate them.
 *
 * Decision: the options are compared with the image itself (this command is
 * the simulator's own tool, the image is its card's EEPROM). A black-box
 * check through INITIALIZE UPDATE would prove Key-MAC (and Key-ENC with
 * i=70) but never Key-DEK, so a swapped DEK would pass. Compared: --i with
 * the ISD's i; --kvn names the key set (else the first one, as KVN 00 does);
 * --keys with that set, --master through KDF3 with the card's KDD. Key
 * bytes are compared in constant time and never printed; a mismatch is a
 * usage error naming the option.
 */
import { readFile } from 'node:fs/promises';
import { equalBytes, zeroize } from '../../card/bytes.js';
import { diversifyKdf3 } from '../../card/diversify.js';
import { decodeImage } from '../../hardware/sim/card/index.js';
import { zeroizeStateSecrets } from '../../hardware/sim/card/state.js';
import { UsageError } from '../command.js';
import type { SimCardArgs } from './sim-card-options.js';

/** Throws UsageError when a key option contradicts the card in `file`; the image's own errors (SimCardError IMAGE_*) pass through. */
export async function checkImageMatches(file: string, args: SimCardArgs): Promise<void> {
  if (!args.keys && !args.master && args.kvn === undefined && args.i === undefined) return;
  const state = decodeImage(await readFile(file, 'utf8'));
  try {
    const isd = state.isd;
    if (args.i !== undefined && isd.i !== args.i) {
      throw new UsageError(`--i ${hex2(args.i)}: the card in ${file} uses i=${hex2(isd.i)}`);
    }
    const set = args.kvn !== undefined ? isd.keySets.find((k) => k.kvn === args.kvn) : isd.keySets[0];
    if (!set) throw new UsageError(`--kvn ${args.kvn ?? 0}: the card in ${file} has no key set of that version`);
    const want = args.keys ?? (args.master ? diversifyKdf3(args.master, state.kdd) : undefined);
    if (!want) return;
    const same = equalBytes(want.enc, set.enc) && equalBytes(want.mac, set.mac) && equalBytes(want.dek, set.dek);
    if (args.master) zeroize(want.enc, want.mac, want.dek);
    if (!same) throw new UsageError(`${args.keys ? '--keys' : '--master'}: not the keys of the card in ${file} (key set ${hex2(set.kvn)})`);
  } finally {
    zeroizeStateSecrets(state);
  }
}

function hex2(n: number): string {
  return n.toString(16).padStart(2, '0').toUpperCase();
}

/**
 * `cardline kiosk pin-hash`: the operator PIN's scrypt hash
 * (common/slow-hash.ts format), for the kiosk's `--operator-pin-file`. The
 * PIN is read from stdin, never from argv (the process table is visible to
 * every user of the machine), and never printed or logged.
 */
import { DEFAULT_SCRYPT, slowHash } from '../../common/slow-hash.js';
import { PIN_PATTERN } from '../../kiosk/screen/operator-pin.js';
import { UsageError, type Command } from '../command.js';
import { cryptoRandom } from '../random.js';

/** A PIN line is short: more than this on stdin is not a PIN. */
const MAX_INPUT = 256;

export interface PinHashDeps {
  /** The PIN's source (default: process.stdin). */
  stdin: () => AsyncIterable<Buffer | string>;
}

async function readPin(source: AsyncIterable<Buffer | string>): Promise<string> {
  let text = '';
  for await (const chunk of source) {
    text += typeof chunk === 'string' ? chunk : chunk.toString('utf8');
    if (text.length > MAX_INPUT) throw new UsageError('the PIN must be 6 to 12 digits');
    if (text.includes('\n')) break;
  }
  return text.split('\n')[0]!.replace(/\r$/, '');
}

export function makePinHashCommand(deps: PinHashDeps): Command {
  return {
    path: ['kiosk', 'pin-hash'],
    summary: "Hash the kiosk operator's PIN (read from stdin) for --operator-pin-file",
    usage: 'kiosk pin-hash < PIN',
    description: `
Reads the operator's PIN (6 to 12 digits) as one line on stdin and prints
its scrypt hash line (scrypt$15$8$1$SALT$HASH). Save that line in a file of
mode 0600 and give it to 'cardline kiosk --screen PORT --operator-pin-file
FILE'. The PIN is never printed; the salt is random, so the same PIN gives
a new line each time.`,
    options: {},
    run: async (ctx) => {
      const pin = await readPin(deps.stdin());
      if (!PIN_PATTERN.test(pin)) throw new UsageError('the PIN must be 6 to 12 digits');
      ctx.out(`${await slowHash(pin, DEFAULT_SCRYPT, cryptoRandom)}\n`);
      return 0;
    },
  };
}

export const kioskPinHashCommand: Command = makePinHashCommand({ stdin: () => process.stdin });

/**
 * `cardline kiosk pin-hash`: the operator PIN's scrypt hash
 * (common/slow-hash.ts format), for the kiosk's `--operator-pin-file`. The
 * PIN is read from stdin, never from argv (the process table is visible to
 * every user of the machine), and never printed or logged; typed at a
 * terminal it is not echoed (cli/secret-line.ts, as the console's
 * passwords).
 */
import { DEFAULT_SCRYPT, slowHash } from '../../common/slow-hash.js';
import { PIN_PATTERN } from '../../kiosk/screen/operator-pin.js';
import { UsageError, type Command, type CommandContext } from '../command.js';
import { cryptoRandom } from '../random.js';
import { readSecretLine, type SecretInput } from '../secret-line.js';

/** A PIN line is short: more than this on stdin is not a PIN. */
const MAX_INPUT = 256;

export interface PinHashDeps {
  /** The PIN's source (default: process.stdin; a terminal does not echo it, cli/secret-line.ts). */
  stdin: () => SecretInput;
}

async function readPin(source: SecretInput, ctx: Pick<CommandContext, 'err'>): Promise<string> {
  try {
    return await readSecretLine(source, ctx, { name: 'PIN', maxChars: MAX_INPUT });
  } catch (e) {
    if (e instanceof UsageError) throw new UsageError(`${e.message}: the PIN must be 6 to 12 digits`);
    throw e;
  }
}

export function makePinHashCommand(deps: PinHashDeps): Command {
  return {
    path: ['kiosk', 'pin-hash'],
    summary: "Hash the kiosk operator's PIN (read from stdin) for --operator-pin-file",
    usage: 'kiosk pin-hash < PIN',
    description: `
Reads the operator's PIN (6 to 12 digits) as one line on stdin and prints
its scrypt hash line (scrypt$15$8$1$SALT$HASH). At a terminal it asks
'PIN: ' on stderr and does not echo what is typed. Save the line in a file
of mode 0600, owned by the kiosk's user, and give it to 'cardline kiosk
--screen PORT --operator-pin-file FILE'; created without a moment of
being readable by others:

  (umask 077; cardline kiosk pin-hash > /etc/cardline/operator-pin)

The PIN is never printed; the salt is random, so the same PIN gives
a new line each time.`,
    options: {},
    run: async (ctx) => {
      const pin = await readPin(deps.stdin(), ctx);
      if (!PIN_PATTERN.test(pin)) throw new UsageError('the PIN must be 6 to 12 digits');
      ctx.out(`${await slowHash(pin, DEFAULT_SCRYPT, cryptoRandom)}\n`);
      return 0;
    },
  };
}

export const kioskPinHashCommand: Command = makePinHashCommand({ stdin: () => process.stdin });

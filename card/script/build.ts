/**
 * The script builder (DESIGN §3 step 6, the source's S270/S280): the whole
 * secured script for one card in one message, so that the kiosk relays it
 * APDU by APDU and the center needs no round trip per command.
 *
 * Deterministic: the same inputs give the same bytes (the session keys come
 * from the KMC, the host challenge and the card's IU response; the DEK
 * encryption of secret DGIs has a zero ICV). verify.ts relies on that.
 */
import { isCardError } from '../errors.js';
import { ScriptError } from './errors.js';
import { openChannel } from './channel.js';
import { clearPlain, composeSteps, describe, wireCommand } from './steps.js';
import type { BuildScriptInput, BuiltScript } from './types.js';
import { checkBuildInput } from './validate.js';

/**
 * Builds the 'write' or 'inspect' script for the card that gave `iuResponse`.
 * Throws ScriptError `ARGUMENT_INVALID`, or `CARD_AUTHENTICATION` /
 * `CARD_UNREADABLE` when the card does not authenticate (call
 * `authenticateCard` first). The caller owns `dgis`; every key, session
 * state and plaintext block derived here is zeroized before returning.
 */
export function buildScript(input: BuildScriptInput): BuiltScript {
  checkBuildInput(input);
  const { channel } = openChannel(input);
  let script;
  try {
    script = composeSteps(input.kind, input.profile, input.dgis, channel.dek);
    const apdus = script.steps.map((step) => wireCommand(channel, step));
    return {
      apdus,
      stop: input.kind === 'write' ? 'first-error' : 'never',
      summary: { storeDataBlocks: script.storeDataBlocks, dgis: input.dgis.length },
      plan: script.steps.map(describe),
    };
  } catch (e) {
    // A card/ error here means an input the checks let through (an APDU too long once wrapped).
    if (isCardError(e)) throw new ScriptError('ARGUMENT_INVALID', `script cannot be built: ${e.message}`);
    throw e;
  } finally {
    if (script !== undefined) clearPlain(script);
    channel.close();
  }
}

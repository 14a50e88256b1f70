/**
 * Result verification (DESIGN §3 step 7, the source's S290): the kiosk
 * returned every response; were they the card's, and do they say the card
 * holds the job's data?
 *
 * The center kept nothing since it built the script: the channel and the
 * script are rebuilt from the same inputs (build.ts is deterministic), then
 * walked in order, wrapping command i and unwrapping response i, so that
 * each R-MAC is checked against the chaining value of its own command (GPC
 * Amd D §6.2.5). A response the card did not MAC under this session is
 * `failed`, never believed.
 */
import { parseResponse } from '../apdu.js';
import { isCardError } from '../errors.js';
import type { HostSecureChannel } from '../scp03/index.js';
import { openChannel } from './channel.js';
import { failed, judgeInspect, judgeWrite, label } from './judge.js';
import { clearPlain, composeSteps, wireCommand, type PlainScript, type PlainStep } from './steps.js';
import type { Verdict, VerifyResultInput } from './types.js';
import { checkVerifyInput } from './validate.js';

/**
 * The verdict on one run of a script built by `buildScript` with the same
 * inputs. Throws ScriptError `ARGUMENT_INVALID` for malformed inputs, and
 * `CARD_AUTHENTICATION` / `CARD_UNREADABLE` when the inputs no longer
 * authenticate the card (they are not those the script was built from).
 * Whatever the kiosk returned is judged, never thrown.
 */
export function verifyResult(input: VerifyResultInput): Verdict {
  checkVerifyInput(input);
  const { channel } = openChannel(input);
  let script: PlainScript | undefined;
  try {
    script = composeSteps(input.kind, input.profile, input.dgis, channel.dek);
    return walk(input, script.steps, channel);
  } finally {
    if (script !== undefined) clearPlain(script);
    channel.close();
  }
}

/** A kiosk reason code may go into a detail; anything else it sent may not. */
/** The kiosk's error code as it may appear in a detail: a wire reason code (`card-removed`, `late`, …) or a generic word. */
function reasonCode(code: string): string {
  return /^[a-z][a-z-]{0,31}$/.test(code) || /^[A-Z][A-Z0-9_]{0,31}$/.test(code) ? code : 'kiosk error';
}

function walk(input: VerifyResultInput, steps: readonly PlainStep[], channel: HostSecureChannel): Verdict {
  const { responses, error } = input;
  if (responses.length > steps.length) return failed(steps.length, `${responses.length} responses for ${steps.length} commands`);
  // Responses from the failed APDU on are not the card's answers to this script.
  const received = error === undefined ? responses.length : Math.min(responses.length, error.index);
  const judge = input.kind === 'write' ? judgeWrite : judgeInspect;
  for (let at = 0; at < steps.length; at++) {
    const step = steps[at]!;
    // The bytes are those sent; only the chain and counter they advance matter here.
    wireCommand(channel, step);
    if (at >= received) {
      const why = error === undefined ? 'the kiosk stopped' : reasonCode(error.code);
      return failed(at, `${label(at, step)}: no response (${why})`);
    }
    const raw = responses[at]!;
    if (raw.length < 2) return failed(at, `${label(at, step)}: response of ${raw.length} bytes has no SW`);
    let r = parseResponse(raw);
    if (step.secured) {
      try {
        r = channel.unwrap(r);
      } catch (e) {
        if (isCardError(e, 'RMAC_INVALID')) return failed(at, `R-MAC invalid at step ${at}`);
        if (isCardError(e, 'RENC_INVALID')) return failed(at, `R-ENC invalid at step ${at}`);
        throw e;
      }
    }
    const verdict = judge(at, step, r, input.profile);
    if (verdict !== undefined) return verdict;
  }
  // Every step answered as it must, yet the kiosk reports a failure beyond the script.
  if (error !== undefined) return failed(Math.min(error.index, steps.length), `kiosk reported ${reasonCode(error.code)} after the last step`);
  return { outcome: 'issued' };
}

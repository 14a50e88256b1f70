/**
 * Typed errors of the script builder and verifier. Messages carry lengths,
 * tags, step indexes and status words only, never keys or card data.
 *
 * A card that fails authentication is not an error of `authenticateCard`
 * (it answers a reason instead); `buildScript` and `verifyResult` throw
 * `CARD_AUTHENTICATION` / `CARD_UNREADABLE` for it, because they are only
 * called after the card authenticated: their inputs no longer fit together.
 */
export type ScriptErrorCode =
  /** `profileByName` was given a name no profile has. */
  | 'UNKNOWN_PROFILE'
  /** An input of the wrong type, length or range (a programming or data error, not the card's). */
  | 'ARGUMENT_INVALID'
  /** The card cryptogram (or pseudo-random challenge, or key version) does not match the KMC. */
  | 'CARD_AUTHENTICATION'
  /** The INITIALIZE UPDATE response cannot be parsed. */
  | 'CARD_UNREADABLE';

export class ScriptError extends Error {
  override readonly name = 'ScriptError';
  constructor(
    readonly code: ScriptErrorCode,
    message: string,
  ) {
    super(`${code}: ${message}`);
  }
}

export function isScriptError(e: unknown, code?: ScriptErrorCode): e is ScriptError {
  return e instanceof ScriptError && (code === undefined || e.code === code);
}

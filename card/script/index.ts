/**
 * The script builder and result verifier (DESIGN §3 steps 5–7):
 * authenticate the card from its INITIALIZE UPDATE response, build the whole
 * secured script for the kiosk to relay, verify what came back. Pure: no
 * I/O, no clocks, no state between calls.
 */
export { ScriptError, isScriptError } from './errors.js';
export type { ScriptErrorCode } from './errors.js';
export { PROFILES, profileByName, isSecretFor } from './profile.js';
export type { CardProfile } from './profile.js';
export { authenticateCard } from './card-auth.js';
export type { CardAuthResult } from './card-auth.js';
export { buildScript } from './build.js';
export { verifyResult } from './verify.js';
export { cardStaticKeys } from './channel.js';
export type {
  BuildScriptInput,
  BuiltScript,
  CardSessionInput,
  CardStaticKeys,
  ScriptKind,
  ScriptStep,
  StepRole,
  Verdict,
  VerifyResultInput,
} from './types.js';

/**
 * The script builder's and verifier's value types (DESIGN §3 steps 5–7).
 *
 * The center is stateless between the card-authentication exchange and the
 * result: every function here takes the same (profile, KMC, host challenge,
 * INITIALIZE UPDATE response) and rebuilds the secure channel from them, so
 * any worker can verify a result that another one built the script for.
 */
import type { Dgi } from '../dgi.js';
import type { CardProfile } from './profile.js';

/**
 * 'write' personalizes the application and checks it; 'inspect' only looks
 * (after a failed write, or on a card whose state is unknown).
 */
export type ScriptKind = 'write' | 'inspect';

/** One card's static SCP03 keys (GPC Amd D §6.2.1: Key-ENC, Key-MAC, Key-DEK), each 16 or 32 bytes. */
export interface CardStaticKeys {
  readonly enc: Uint8Array;
  readonly mac: Uint8Array;
  readonly dek: Uint8Array;
}

/** What identifies one card session: enough to rebuild its secure channel. */
export interface CardSessionInput {
  readonly profile: CardProfile;
  /**
   * The card's keys, one of:
   * - `kmc`: the issuer master key (16 or 32 bytes, KDF3); the card's static
   *   keys are diversified from it and the KDD (the center);
   * - `cardKeys`: this card's static keys themselves, as a sealed-mode
   *   package carries them (the kiosk; wire/package.ts).
   * Owned by the caller; never kept.
   */
  readonly kmc?: Uint8Array;
  readonly cardKeys?: CardStaticKeys;
  /** The 8-byte host challenge the center sent with "insert card". */
  readonly hostChallenge: Uint8Array;
  /** The INITIALIZE UPDATE response data the kiosk returned (SW stripped). */
  readonly iuResponse: Uint8Array;
}

export interface BuildScriptInput extends CardSessionInput {
  readonly kind: ScriptKind;
  /** The job's writing data. Owned (and zeroized) by the caller; not modified. */
  readonly dgis: readonly Dgi[];
}

export type StepRole = 'external-authenticate' | 'install' | 'store-data' | 'get-status' | 'select-app' | 'read-back' | 'kcv';

/** One APDU of a script, described without its data (safe to log). */
export interface ScriptStep {
  readonly role: StepRole;
  /** Sent inside the SCP03 session: C-MACed (and C-DEC'd), its response R-MACed (and R-ENC'd). */
  readonly secured: boolean;
  /** The DGI a read-back or key check value request is for. */
  readonly tag?: number;
}

export interface BuiltScript {
  /** The command APDUs, in order, exactly as the kiosk sends them. */
  readonly apdus: Uint8Array[];
  /** 'first-error': stop at the first SW other than 9000; 'never': run every APDU. */
  readonly stop: 'first-error' | 'never';
  readonly summary: { readonly storeDataBlocks: number; readonly dgis: number };
  /** One step per APDU, same order. */
  readonly plan: ScriptStep[];
}

export interface VerifyResultInput extends BuildScriptInput {
  /** Every response the kiosk got (data ‖ SW), in order; shorter than the script when it stopped. */
  readonly responses: readonly Uint8Array[];
  /** The kiosk could not complete APDU `index` (card removed, timeout): `code` is its reason code. */
  readonly error?: { readonly index: number; readonly code: string };
}

/**
 * - issued: the card holds exactly the job's data, and the application is PERSONALIZED.
 * - not-personalized: (inspect) the application is still SELECTABLE: write it (again).
 * - failed: step `at` did not go as it must (no response, a bad R-MAC, an
 *   unexpected SW or value). After a failed write, run an inspect script.
 * - mismatch: (inspect) the card is personalized with other data, or cannot
 *   take ours: reject the card.
 * Details carry step indexes, tags and status words only.
 */
export type Verdict =
  | { readonly outcome: 'issued' }
  | { readonly outcome: 'not-personalized'; readonly detail: string }
  | { readonly outcome: 'failed'; readonly at: number; readonly detail: string }
  | { readonly outcome: 'mismatch'; readonly detail: string };

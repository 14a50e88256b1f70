/**
 * Card and application life cycles (GPC v2.3.1 §5.1, §5.3, §11.1.1) and the
 * rules this card enforces with them.
 *
 * Card (the ISD inherits it, §5.1):
 *
 *   OP_READY ──▶ INITIALIZED ──▶ SECURED ◀──▶ CARD_LOCKED
 *       └────────────┴──────────────┴──────────────┴──▶ TERMINATED
 *
 * - SET STATUS moves only along these arrows; anything else (including a
 *   move to the current state, §11.10.2.2) is 6985. OP_READY → SECURED in
 *   one step is not offered: GPC §5.1.1.2 makes INITIALIZED the
 *   administrative stop between them, and tools (GlobalPlatformPro's
 *   --secure-card) step through it.
 * - CARD_LOCKED (§5.1.1.4): only the ISD (it holds the Final Application
 *   privilege) is selectable; selecting anything else is 6A81 (table 11-84,
 *   "function not supported e.g. card Life Cycle State is CARD_LOCKED"); the
 *   ISD's own SELECT answers 6283. No card content or data management:
 *   PUT KEY, INSTALL, STORE DATA and file writes are 6985.
 * - TERMINATED (§5.1.1.5): only GET DATA is processed (and SELECT of the
 *   ISD, which is implicitly selected anyway); SELECT of anything else is
 *   6A82 and every other command 6985.
 */

import { APP_LIFE_CYCLE, CARD_LIFE_CYCLE, cardLifeCycleName as gpCardLifeCycleName, isCardLifeCycle } from '../../../card/gp/set-status.js';

export { APP_LIFE_CYCLE, CARD_LIFE_CYCLE, isCardLifeCycle };

const APP_NAMES: ReadonlyMap<number, string> = new Map(Object.entries(APP_LIFE_CYCLE).map(([k, v]) => [v, k]));

export function cardLifeCycleName(v: number): string {
  return gpCardLifeCycleName(v) ?? `UNKNOWN_${v.toString(16).padStart(2, '0').toUpperCase()}`;
}

export function appLifeCycleName(v: number): string {
  return APP_NAMES.get(v) ?? `APPLICATION_SPECIFIC_${v.toString(16).padStart(2, '0').toUpperCase()}`;
}

/** The card life cycle moves SET STATUS (P1 80) may make (Figure 5-1 as enforced here). */
export function cardTransitionAllowed(from: number, to: number): boolean {
  const C = CARD_LIFE_CYCLE;
  if (from === to || from === C.TERMINATED) return false;
  if (to === C.TERMINATED) return true;
  return (
    (from === C.OP_READY && to === C.INITIALIZED) ||
    (from === C.INITIALIZED && to === C.SECURED) ||
    (from === C.SECURED && to === C.CARD_LOCKED) ||
    (from === C.CARD_LOCKED && to === C.SECURED)
  );
}

/** Card content and data management (keys, installs, personalization, file writes) is allowed (§5.1.1.4-5). */
export function contentChangesAllowed(card: number): boolean {
  return card === CARD_LIFE_CYCLE.OP_READY || card === CARD_LIFE_CYCLE.INITIALIZED || card === CARD_LIFE_CYCLE.SECURED;
}

/** An application can be selected in its own state (GPC v2.3.1 §5.3.1: not INSTALLED, not LOCKED). */
export function appSelectable(app: number): boolean {
  return app !== APP_LIFE_CYCLE.INSTALLED && (app & 0x80) === 0;
}

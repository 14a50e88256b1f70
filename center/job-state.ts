/**
 * The job state machine (DESIGN §6), pure. Each move is one transaction with
 * its audit entry (jobs.ts); this file only says which moves exist.
 *
 *   PENDING → RESERVED → CARD_AUTHENTICATED → WRITING → VERIFYING → ISSUED
 *                                                                 ↘ FAILED | VOIDED
 *
 * Added to DESIGN §6, each for a reason:
 * - RESERVED → PENDING ("released"): the kiosk went away before any card was
 *   bound to the job. Nothing was written anywhere, so the customer may try
 *   again at any kiosk.
 * - WRITING | VERIFYING → CARD_AUTHENTICATED ("re-run"): a write failed or
 *   its result was lost (power cut, card pulled, crash). The job keeps its
 *   card; the next attempt authenticates that same card again and inspects
 *   it before anything else is written ("the card itself says what it holds").
 * - CARD_AUTHENTICATED → CARD_AUTHENTICATED: a recovery after a restart
 *   (a new attempt on the same card).
 * - Any live state → FAILED | VOIDED. FAILED and VOIDED and ISSUED are final.
 */
export const JOB_STATES = ['PENDING', 'RESERVED', 'CARD_AUTHENTICATED', 'WRITING', 'VERIFYING', 'ISSUED', 'FAILED', 'VOIDED'] as const;
export type JobState = (typeof JOB_STATES)[number];

export const LIVE_STATES: readonly JobState[] = ['RESERVED', 'CARD_AUTHENTICATED', 'WRITING', 'VERIFYING'];
export const FINAL_STATES: readonly JobState[] = ['ISSUED', 'FAILED', 'VOIDED'];

const MOVES: Record<JobState, readonly JobState[]> = {
  PENDING: ['RESERVED', 'VOIDED'],
  RESERVED: ['CARD_AUTHENTICATED', 'PENDING', 'FAILED', 'VOIDED'],
  CARD_AUTHENTICATED: ['WRITING', 'CARD_AUTHENTICATED', 'FAILED', 'VOIDED'],
  WRITING: ['VERIFYING', 'CARD_AUTHENTICATED', 'FAILED', 'VOIDED'],
  VERIFYING: ['ISSUED', 'CARD_AUTHENTICATED', 'FAILED', 'VOIDED'],
  ISSUED: [],
  FAILED: [],
  VOIDED: [],
};

export function canMove(from: JobState, to: JobState): boolean {
  return MOVES[from].includes(to);
}

export function isJobState(s: unknown): s is JobState {
  return typeof s === 'string' && (JOB_STATES as readonly string[]).includes(s);
}

/** A card is bound to the job from CARD_AUTHENTICATED on: it is issued on that card or the card is rejected. */
export function holdsCard(s: JobState): boolean {
  return s === 'CARD_AUTHENTICATED' || s === 'WRITING' || s === 'VERIFYING';
}

// Job states (center/job-state.ts) as the console shows them.
import { badge } from './dom.js';

export const JOB_STATES = ['PENDING', 'RESERVED', 'CARD_AUTHENTICATED', 'WRITING', 'VERIFYING', 'ISSUED', 'FAILED', 'VOIDED'];

/** States a job can still be voided from (center/jobs.ts voidJob). */
export const VOIDABLE = ['PENDING', 'RESERVED', 'CARD_AUTHENTICATED', 'WRITING', 'VERIFYING'];

const TONE = { ISSUED: 'ok', FAILED: 'bad', VOIDED: 'muted', PENDING: 'info' };

export function stateBadge(state) {
  return badge(String(state ?? '—'), TONE[state] ?? 'live');
}

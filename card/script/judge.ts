/**
 * What each response must say, per script kind (DESIGN §3 step 7). Called
 * by verify.ts with the response already unwrapped (R-MAC checked, R-ENC
 * removed) for secured steps. Returns a verdict to stop at, or undefined to
 * go on to the next step.
 *
 * write: every step 9000, the application PERSONALIZED after the last block,
 * every read-back and KCV equal. Anything else is `failed` at that step; the
 * caller then inspects the card to learn what it holds.
 *
 * inspect: the card's answers decide. SELECTABLE: not personalized yet.
 * PERSONALIZED with our data: issued. PERSONALIZED with other data, or an
 * application that can never take ours (absent, locked): mismatch, and the
 * card is rejected.
 */
import type { ResponseApdu } from '../apdu.js';
import { equalBytes, zeroize } from '../bytes.js';
import { isCardError } from '../errors.js';
import { APP_LIFE_CYCLE, byteHex, parseGetStatus } from '../gp/index.js';
import { swHex } from '../status-words.js';
import type { CardProfile } from './profile.js';
import { expectedKcvs, kcvsOf } from './read-back.js';
import type { PlainStep } from './steps.js';
import type { Verdict } from './types.js';

const SW_OK = 0x9000;
/** GET STATUS with an AID filter that matches nothing (GPC v2.3.1 table 11-38). */
const SW_NOT_FOUND = 0x6a88;

export type Judge = (at: number, step: PlainStep, r: ResponseApdu, profile: CardProfile) => Verdict | undefined;

function tagHex(tag: number): string {
  return tag.toString(16).toUpperCase().padStart(4, '0');
}

/** "step 4 (read-back DGI 0101)": what a detail may name. */
export function label(at: number, step: PlainStep): string {
  return `step ${at} (${step.role}${step.tag === undefined ? '' : ` DGI ${tagHex(step.tag)}`})`;
}

export function failed(at: number, detail: string): Verdict {
  return { outcome: 'failed', at, detail };
}

/** The application's life cycle byte in a GET STATUS answer; undefined when not listed; 'malformed'. */
function lifeCycleOf(data: Uint8Array, appAid: Uint8Array): number | undefined | 'malformed' {
  try {
    return parseGetStatus(data).find((e) => equalBytes(e.aid, appAid))?.lifeCycle;
  } catch (e) {
    if (isCardError(e)) return 'malformed';
    throw e;
  }
}

/** Whether a read-back or KCV answer matches the job's DGI. Expected KCVs are zeroized after use. */
function matches(step: PlainStep, r: ResponseApdu): boolean {
  const dgi = step.dgi!;
  if (r.sw !== SW_OK) return false;
  if (step.role === 'read-back') return equalBytes(r.data, dgi.value);
  const want = expectedKcvs(dgi.value);
  try {
    return equalBytes(kcvsOf(r.data), want);
  } finally {
    zeroize(want);
  }
}

export const judgeWrite: Judge = (at, step, r, profile) => {
  if (r.sw !== SW_OK) return failed(at, `${label(at, step)}: SW ${swHex(r.sw)}`);
  switch (step.role) {
    case 'get-status': {
      const lc = lifeCycleOf(r.data, profile.appAid);
      if (lc === 'malformed') return failed(at, `${label(at, step)}: answer malformed`);
      if (lc === undefined) return failed(at, `${label(at, step)}: application not listed`);
      if (lc !== APP_LIFE_CYCLE.PERSONALIZED) return failed(at, `${label(at, step)}: application life cycle ${byteHex(lc)} after the last block`);
      return undefined;
    }
    case 'read-back':
    case 'kcv':
      return matches(step, r) ? undefined : failed(at, `${label(at, step)}: ${step.role === 'kcv' ? 'key check values differ' : 'value differs'}`);
    default:
      return undefined;
  }
};

export const judgeInspect: Judge = (at, step, r, profile) => {
  switch (step.role) {
    case 'external-authenticate':
      return r.sw === SW_OK ? undefined : failed(at, `${label(at, step)}: SW ${swHex(r.sw)}`);
    case 'get-status': {
      if (r.sw === SW_NOT_FOUND) return { outcome: 'mismatch', detail: `${label(at, step)}: application not on the card (SW 6A88)` };
      if (r.sw !== SW_OK) return failed(at, `${label(at, step)}: SW ${swHex(r.sw)}`);
      const lc = lifeCycleOf(r.data, profile.appAid);
      if (lc === 'malformed') return failed(at, `${label(at, step)}: answer malformed`);
      if (lc === undefined) return { outcome: 'mismatch', detail: `${label(at, step)}: application not listed` };
      if (lc === APP_LIFE_CYCLE.SELECTABLE) return { outcome: 'not-personalized', detail: `${label(at, step)}: application life cycle 07 (SELECTABLE)` };
      if (lc === APP_LIFE_CYCLE.PERSONALIZED) return undefined;
      // INSTALLED, LOCKED or an application-specific state: INSTALL [for personalization] would get 6985.
      return { outcome: 'mismatch', detail: `${label(at, step)}: application life cycle ${byteHex(lc)} cannot be personalized` };
    }
    case 'select-app':
      return r.sw === SW_OK ? undefined : { outcome: 'mismatch', detail: `${label(at, step)}: SW ${swHex(r.sw)}` };
    case 'read-back':
    case 'kcv':
      if (matches(step, r)) return undefined;
      return { outcome: 'mismatch', detail: `${label(at, step)}: SW ${swHex(r.sw)}, ${step.role === 'kcv' ? 'key check values' : 'value'} not the job's` };
    default:
      // An inspect script has no INSTALL or STORE DATA.
      return failed(at, `${label(at, step)}: not part of an inspect script`);
  }
};

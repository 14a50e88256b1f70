/**
 * How command handlers answer: they return a Reply (data and a success or
 * warning SW) or throw; the dispatcher maps what they throw to one status
 * word here, in one place (STYLE: errors mapped at exactly one boundary).
 *
 * A thrown error means "nothing written": the command's draft state is
 * dropped (transaction.ts).
 */
import { isCardError, type CardErrorCode } from '../../../card/errors.js';
import { StatusWordError, SW } from '../../../card/status-words.js';

export interface Reply {
  readonly data: Uint8Array;
  readonly sw: number;
}

const EMPTY = new Uint8Array(0);

export function ok(data: Uint8Array = EMPTY, sw: number = SW.OK): Reply {
  return { data, sw };
}

/** Ends a handler with status word `sw` (and nothing written). */
export function fail(sw: number, context = ''): never {
  throw new StatusWordError(sw, context);
}

/** Status words for the card-side parser codes of card/ (card/errors.ts documents each). */
const CODE_SW: Partial<Record<CardErrorCode, number>> = {
  APDU_MALFORMED: SW.WRONG_LENGTH,
  COMMAND_DATA_INVALID: SW.WRONG_DATA,
  TLV_MALFORMED: SW.WRONG_DATA,
  DGI_MALFORMED: SW.WRONG_DATA,
  PADDING_INVALID: SW.WRONG_DATA,
  LENGTH_MISMATCH: SW.WRONG_DATA,
  KEY_INVALID: SW.WRONG_DATA,
  P1P2_INVALID: SW.INCORRECT_P1P2,
  KCV_MISMATCH: SW.SECURITY_STATUS_NOT_SATISFIED,
};

/**
 * The SW a real card returns for what a handler threw: a StatusWordError's
 * own SW, the mapped SW of a card-side parser error, or undefined for an
 * unexpected error (the dispatcher answers 6F00 and logs it).
 */
export function swForError(e: unknown): number | undefined {
  if (e instanceof StatusWordError) return e.sw;
  if (isCardError(e)) return CODE_SW[e.code];
  return undefined;
}

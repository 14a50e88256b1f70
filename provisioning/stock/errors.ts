/**
 * Typed errors of stock preparation (docs/provisioning.md §6). Messages name
 * steps, status words, files and batch IDs: never keys or card data.
 */
import { isCardError } from '../../card/errors.js';
import { StatusWordError, swHex } from '../../card/status-words.js';

export type StockErrorCode =
  /** A parameter out of range (count, batch ID, product, key length). */
  | 'ARGUMENT_INVALID'
  /** The batch manifest exists already: a batch is prepared once. */
  | 'BATCH_EXISTS'
  /** Not one card of the batch could be prepared. */
  | 'NO_CARD_PREPARED'
  | 'IO';

export class StockError extends Error {
  override readonly name = 'StockError';
  constructor(
    readonly code: StockErrorCode,
    message: string,
  ) {
    super(`${code}: ${message}`);
  }
}

/**
 * Why one card could not be prepared; the card is set aside and the batch
 * goes on with the next.
 * - transport-key: the card does not hold the card maker's transport key
 *   (already prepared, or not from this card maker): nothing was written;
 * - status-word: the card refused a step (`sw`);
 * - response: a step's answer was not what the command must give (PUT KEY KCVs);
 * - verification: the prepared card did not prove its new state (keys, life
 *   cycle, product data, transport key still working);
 * - transport: the card could not be reached (removed, power lost, timeout).
 */
export type CardFailureReason = 'transport-key' | 'status-word' | 'response' | 'verification' | 'transport';

export class CardPrepError extends Error {
  override readonly name = 'CardPrepError';
  constructor(
    readonly reason: CardFailureReason,
    /** The step that failed (steps.ts names, or open / verify-*). */
    readonly step: string,
    message: string,
    /** The card's status word, when it gave one. */
    readonly sw?: number,
  ) {
    super(`${reason} at ${step}: ${message}`);
  }
}

/** Maps what a step threw: a card status word, a malformed answer, or the transport (its error code only). */
export function asPrepError(e: unknown, step: string): CardPrepError {
  if (e instanceof CardPrepError) return e;
  if (e instanceof StatusWordError) return new CardPrepError('status-word', step, `the card answered ${swHex(e.sw)}`, e.sw);
  if (isCardError(e)) return new CardPrepError('response', step, e.code);
  const code = (e as { code?: unknown } | undefined)?.code;
  return new CardPrepError('transport', step, typeof code === 'string' ? code : 'the card could not be reached');
}

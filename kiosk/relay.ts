/**
 * The relay (DESIGN §3 step 6, relay mode): runs the center's secured script
 * APDU by APDU over a CardTransport, in memory. Pure of MQTT: the caller
 * decodes the script and sends the responses.
 *
 * - Nothing here writes APDUs or responses anywhere: logs carry indexes,
 *   counts and status words only. The caller zeroizes both arrays after the
 *   result has been sent.
 * - `stop: 'first-error'` ends at the first SW other than 9000 (that response
 *   is still returned, with error code 'status'); `'never'` runs through
 *   (an inspect script reads back every object, failures included).
 * - A transport error ends the run with `index` = the APDU that got no
 *   response (= responses.length).
 */
import { swHex } from '../card/status-words.js';
import { isTransportError, type CardTransport } from '../hardware/card-transport.js';
import type { Logger } from '../common/log.js';

export type CardIoErrorCode = 'card-removed' | 'timeout' | 'transport';

export interface RelayOutcome {
  responses: Uint8Array[];
  error?: { index: number; code: 'status' | CardIoErrorCode };
}

export interface RelayOptions {
  stop: 'first-error' | 'never';
  /** Per-APDU timeout handed to the transport. */
  timeoutMs: number;
  logger: Logger;
  /** Called after each APDU with its 1-based index, for the screen. */
  onStep?: (index: number, total: number) => void;
}

export const SW_OK = 0x9000;

/** The status word of a response; undefined when it has none (a misbehaving transport). */
export function statusWord(response: Uint8Array): number | undefined {
  const n = response.length;
  return n < 2 ? undefined : (response[n - 2]! << 8) | response[n - 1]!;
}

/**
 * What a transport failure means to the center (wire/messages.ts `card`,
 * `result`): the card left ('NO_CARD', 'CARD_REMOVED'), it did not answer in
 * time ('TIMEOUT'), or anything else went wrong with the device.
 */
export function cardIoErrorCode(e: unknown): CardIoErrorCode {
  if (isTransportError(e, 'CARD_REMOVED') || isTransportError(e, 'NO_CARD')) return 'card-removed';
  if (isTransportError(e, 'TIMEOUT')) return 'timeout';
  return 'transport';
}

export async function relayScript(transport: CardTransport, apdus: readonly Uint8Array[], opts: RelayOptions): Promise<RelayOutcome> {
  const responses: Uint8Array[] = [];
  const total = apdus.length;
  for (const [index, apdu] of apdus.entries()) {
    let response: Uint8Array;
    try {
      response = await transport.transmit(apdu, { timeoutMs: opts.timeoutMs });
    } catch (e) {
      const code = cardIoErrorCode(e);
      opts.logger.warn('script stopped: transport error', { index, total, code, cause: isTransportError(e) ? e.code : 'unknown' });
      return { responses, error: { index, code } };
    }
    const sw = statusWord(response);
    if (sw === undefined) {
      // Not a response APDU (ISO 7816-4 §5.1: SW1 SW2 always end it): the device misbehaved.
      opts.logger.warn('script stopped: response without a status word', { index, total, length: response.length });
      response.fill(0);
      return { responses, error: { index, code: 'transport' } };
    }
    responses.push(response);
    opts.onStep?.(index + 1, total);
    if (sw !== SW_OK && opts.stop === 'first-error') {
      opts.logger.info('script stopped at a status word', { index, total, sw: hexSw(sw) });
      return { responses, error: { index, code: 'status' } };
    }
  }
  opts.logger.debug('script done', { total });
  return { responses };
}

/** `6A88`: status words are logged as four hex digits (card/status-words.ts). */
export const hexSw = swHex;

/**
 * S250 from the kiosk's side (DESIGN §3 step 4): power the card at the
 * station, SELECT its security domain and send INITIALIZE UPDATE with the
 * center's host challenge. The center checks the card cryptogram (S260);
 * the kiosk holds no card keys in relay mode.
 *
 * The card stays powered and selected afterwards: the script that follows
 * begins with EXTERNAL AUTHENTICATE in the secure channel this INITIALIZE
 * UPDATE opened (GPC Amd D §7.1.2), which a power cycle would lose.
 */
import { encodeCommand } from '../card/apdu.js';
import { initializeUpdate } from '../card/gp/initialize-update.js';
import { selectByAid } from '../card/gp/select.js';
import type { Logger } from '../common/log.js';
import type { CardTransport } from '../hardware/card-transport.js';
import { cardIoErrorCode, hexSw, statusWord, SW_OK, type CardIoErrorCode } from './relay.js';

export interface CardAuthRequest {
  readonly sdAid: Uint8Array;
  readonly kvn: number;
  /** The center's 8-byte host challenge. */
  readonly challenge: Uint8Array;
}

export type CardAuthError = { code: 'status'; sw: number } | { code: CardIoErrorCode };

export type CardAuthOutcome =
  | { ok: true; atr: Uint8Array; iu: Uint8Array }
  | { ok: false; atr?: Uint8Array; error: CardAuthError };

/** INITIALIZE UPDATE response data is 29 bytes, or 32 with the sequence counter (GPC Amd D §7.1.1.6). */
const IU_LENGTHS = new Set([29, 32]);

export async function readCardForAuth(
  transport: CardTransport,
  req: CardAuthRequest,
  opts: { timeoutMs: number; logger: Logger },
): Promise<CardAuthOutcome> {
  const log = opts.logger;
  let atr: Uint8Array;
  try {
    atr = await transport.powerOn();
  } catch (e) {
    log.warn('card power-on failed', { code: cardIoErrorCode(e) });
    return { ok: false, error: { code: cardIoErrorCode(e) } };
  }
  const fail = (error: CardAuthError): CardAuthOutcome => ({ ok: false, atr, error });
  try {
    const select = await transport.transmit(encodeCommand(selectByAid(req.sdAid)), { timeoutMs: opts.timeoutMs });
    const selectSw = statusWord(select);
    // The FCI is not needed here: the center knows which security domain it asked for.
    select.fill(0);
    if (selectSw !== SW_OK) {
      log.info('security domain not selected', { sw: selectSw === undefined ? 'none' : hexSw(selectSw) });
      return selectSw === undefined ? fail({ code: 'transport' }) : fail({ code: 'status', sw: selectSw });
    }
    const iu = await transport.transmit(encodeCommand(initializeUpdate(req.kvn, req.challenge)), { timeoutMs: opts.timeoutMs });
    const iuSw = statusWord(iu);
    if (iuSw === undefined) return fail({ code: 'transport' });
    const iuData = iu.slice(0, iu.length - 2);
    iu.fill(0);
    // A 9000 of the wrong length is reported as a status: the card, not the device, misbehaved.
    if (iuSw !== SW_OK || !IU_LENGTHS.has(iuData.length)) {
      log.info('INITIALIZE UPDATE refused', { sw: hexSw(iuSw), length: iuData.length });
      iuData.fill(0);
      return fail({ code: 'status', sw: iuSw });
    }
    return { ok: true, atr, iu: iuData };
  } catch (e) {
    log.warn('card authentication exchange failed', { code: cardIoErrorCode(e) });
    return fail({ code: cardIoErrorCode(e) });
  }
}

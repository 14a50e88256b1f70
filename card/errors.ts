/**
 * Typed errors of the card room. Every error has a stable `code`; boundaries
 * (CLI, MQTT, the simulated card's status words) map codes in one place.
 *
 * Messages never carry key material or card data: only lengths, tags and
 * status words.
 */

/** Codes raised by card/ itself (format and crypto failures on the host side). */
export type CardErrorCode =
  | 'HEX_INVALID'
  | 'LENGTH_MISMATCH'
  | 'APDU_MALFORMED'
  | 'RESPONSE_MALFORMED'
  | 'TLV_MALFORMED'
  | 'DGI_MALFORMED'
  | 'KEY_INVALID'
  | 'CARD_CRYPTOGRAM'
  | 'CARD_CHALLENGE'
  | 'HOST_CRYPTOGRAM'
  | 'RMAC_INVALID'
  | 'RENC_INVALID'
  | 'SECURITY_LEVEL'
  | 'CHANNEL_CLOSED'
  | 'ARGUMENT_INVALID'
  | 'PADDING_INVALID'
  | 'STATUS_WORD'
  // Card side (command parsers of the simulated card). Each maps to one status word:
  /** Command data malformed or with wrong values: 6A80 (GPC v2.3.1 §11.1.3, table 11-78). */
  | 'COMMAND_DATA_INVALID'
  /** Reference control parameters P1/P2 not supported or out of sequence: 6A86 (GPC v2.3.1 §11.1.3). */
  | 'P1P2_INVALID'
  /** A key check value does not match the decrypted key: 6982 (GPC v2.3.1 §11.8.3.2, table 11-78). */
  | 'KCV_MISMATCH';

export class CardError extends Error {
  override readonly name: string = 'CardError';
  constructor(
    readonly code: CardErrorCode,
    message: string,
  ) {
    super(`${code}: ${message}`);
  }
}

export function isCardError(e: unknown, code?: CardErrorCode): e is CardError {
  return e instanceof CardError && (code === undefined || e.code === code);
}

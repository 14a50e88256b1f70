/**
 * INITIALIZE UPDATE for SCP03 (GPC v2.3.1 §E.5.1, GPC Amd D §7.1.1):
 * the command, and the response layout both sides share.
 *
 *   response = KDD(10) ‖ KVN(1) ‖ 03 ‖ i(1) ‖ card challenge(8) ‖ card cryptogram(8) [‖ sequence counter(3)]
 *
 * The sequence counter is present exactly when i has b5 set (pseudo-random
 * card challenge). S16 mode (i b1) is not supported.
 */
import { concat, u24be } from '../bytes.js';
import { command, type CommandApdu } from '../apdu.js';
import { CardError } from '../errors.js';
import {
  CHALLENGE_LEN,
  CRYPTOGRAM_LEN,
  I_PARAM,
  KDD_LEN,
  SEQUENCE_COUNTER_LEN,
} from './types.js';

export const SCP03_ID = 0x03;
export const INS_INITIALIZE_UPDATE = 0x50;
export const INS_EXTERNAL_AUTHENTICATE = 0x82;

const BASE_LEN = KDD_LEN + 3 + CHALLENGE_LEN + CRYPTOGRAM_LEN; // 29
const WITH_COUNTER_LEN = BASE_LEN + SEQUENCE_COUNTER_LEN; // 32

export interface InitializeUpdateResponse {
  /** Key diversification data: the card's input to per-card key derivation. */
  readonly kdd: Uint8Array;
  readonly kvn: number;
  readonly scpId: number;
  readonly i: number;
  readonly cardChallenge: Uint8Array;
  readonly cardCryptogram: Uint8Array;
  /** The 3-byte sequence counter, present when i has b5 set. */
  readonly sequenceCounter?: Uint8Array | undefined;
}

/** INITIALIZE UPDATE: `80 50 KVN 00 08 <host challenge> 00` (GPC v2.3.1 §E.5.1). */
export function initializeUpdateCommand(kvn: number, hostChallenge: Uint8Array): CommandApdu {
  if (hostChallenge.length !== CHALLENGE_LEN) {
    throw new CardError('LENGTH_MISMATCH', `host challenge of ${hostChallenge.length} bytes (expected ${CHALLENGE_LEN})`);
  }
  return command(0x80, INS_INITIALIZE_UPDATE, kvn, 0x00, hostChallenge, 256);
}

/** Parses the INITIALIZE UPDATE response data (without SW). Throws `RESPONSE_MALFORMED`. */
export function parseInitializeUpdateResponse(data: Uint8Array): InitializeUpdateResponse {
  if (data.length < KDD_LEN + 3) {
    throw new CardError('RESPONSE_MALFORMED', `INITIALIZE UPDATE response of ${data.length} bytes`);
  }
  const kvn = data[KDD_LEN]!;
  const scpId = data[KDD_LEN + 1]!;
  const i = data[KDD_LEN + 2]!;
  if (scpId !== SCP03_ID) {
    throw new CardError('RESPONSE_MALFORMED', `card answered SCP ${scpId.toString(16).padStart(2, '0')}, not SCP03`);
  }
  if ((i & I_PARAM.S16) !== 0) throw new CardError('RESPONSE_MALFORMED', 'S16 mode (i b1) is not supported');
  const pseudoRandom = (i & I_PARAM.PSEUDO_RANDOM) !== 0;
  const expected = pseudoRandom ? WITH_COUNTER_LEN : BASE_LEN;
  if (data.length !== expected) {
    throw new CardError('RESPONSE_MALFORMED', `INITIALIZE UPDATE response of ${data.length} bytes (expected ${expected})`);
  }
  let off = KDD_LEN + 3;
  const cardChallenge = data.slice(off, off + CHALLENGE_LEN);
  off += CHALLENGE_LEN;
  const cardCryptogram = data.slice(off, off + CRYPTOGRAM_LEN);
  off += CRYPTOGRAM_LEN;
  return {
    kdd: data.slice(0, KDD_LEN),
    kvn,
    scpId,
    i,
    cardChallenge,
    cardCryptogram,
    sequenceCounter: pseudoRandom ? data.slice(off, off + SEQUENCE_COUNTER_LEN) : undefined,
  };
}

/** Builds the response data a card sends (the mirror of `parseInitializeUpdateResponse`). */
export function encodeInitializeUpdateResponse(r: Omit<InitializeUpdateResponse, 'scpId'>): Uint8Array {
  if (r.kdd.length !== KDD_LEN) throw new CardError('LENGTH_MISMATCH', `KDD of ${r.kdd.length} bytes (expected 10)`);
  const pseudoRandom = (r.i & I_PARAM.PSEUDO_RANDOM) !== 0;
  if (pseudoRandom !== (r.sequenceCounter !== undefined)) {
    throw new CardError('ARGUMENT_INVALID', 'a sequence counter goes with i b5, and only then');
  }
  return concat(
    r.kdd,
    Uint8Array.of(r.kvn, SCP03_ID, r.i),
    r.cardChallenge,
    r.cardCryptogram,
    r.sequenceCounter ?? new Uint8Array(0),
  );
}

/** The 3-byte big-endian form of a sequence counter (GPC Amd D §6.2.2.1). */
export function encodeSequenceCounter(n: number): Uint8Array {
  if (!Number.isInteger(n) || n < 0 || n > 0xffffff) {
    throw new CardError('ARGUMENT_INVALID', `sequence counter out of range: ${n}`);
  }
  return u24be(n);
}

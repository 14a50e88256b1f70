/**
 * The one error type of the wire room: a refused message (DESIGN §5
 * "Refusals"). `reason` is the stable code a receiver logs and maps to its
 * own reply, in one place per boundary (kiosk link, center bridge).
 *
 * Messages name fields, lengths and reasons only: never field values, which
 * may be a one-time code, a key or card data.
 *
 * Programming errors (a key of the wrong length, an invalid kiosk ID passed to
 * a topic builder) are `RangeError`s, not refusals.
 */
import type { z } from 'zod';

export type RefusalReason =
  /** The payload is over MAX_PAYLOAD_BYTES (envelope.ts). */
  | 'too-large'
  /** Not the envelope format, a header or body that fails its schema, bad base64/UTF-8/JSON. */
  | 'malformed'
  /** The topic does not match the envelope's kiosk and direction, or a registry for another kiosk. */
  | 'wrong-address'
  /** No public key is known for the claimed sender. */
  | 'unknown-sender'
  /** The Ed25519 signature does not verify. */
  | 'bad-signature'
  /** The deadline has passed on the receiver's clock. */
  | 'late'
  /** A message type the receiver does not know for this direction. */
  | 'unknown-type'
  /** A sequence number at or below the highest accepted for the session (replay.ts). */
  | 'replayed'
  /** A session the receiver does not hold (raised by receivers, not by wire/ itself). */
  | 'unknown-session'
  /** A sealed-mode package sealed to another kiosk's key (package.ts). */
  | 'sealed-elsewhere'
  /** A sealed-mode package that does not open: tampered, or bound to another kiosk, job, attempt or deadline (package.ts). */
  | 'undecryptable';

export class WireError extends Error {
  override readonly name = 'WireError';
  readonly code = 'WIRE_REFUSED';
  constructor(
    readonly reason: RefusalReason,
    message: string,
  ) {
    super(`${reason}: ${message}`);
  }
}

export function isWireError(e: unknown, reason?: RefusalReason): e is WireError {
  return e instanceof WireError && (reason === undefined || e.reason === reason);
}

/**
 * The failing fields of a zod error, as paths and issue codes: never values
 * (a one-time code, a key), never unrecognized key names (chosen by the sender).
 */
export function issueList(error: z.ZodError): string {
  const seen = new Set<string>();
  for (const issue of error.issues.slice(0, 4)) {
    const path = issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : safeSegment(p))).join('.') || '(root)';
    seen.add(`${path} ${issue.code}`);
  }
  return [...seen].join(', ');
}

function safeSegment(p: PropertyKey): string {
  const s = String(p);
  return /^[A-Za-z0-9_-]{1,32}$/.test(s) ? s : '?';
}

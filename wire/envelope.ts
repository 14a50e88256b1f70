/**
 * Signed envelopes: every message between center and kiosk (DESIGN §5).
 *
 * Wire format (docs/protocol.md "Envelope"). The MQTT payload is UTF-8 JSON
 *
 *     {"e":"<base64 of the signed bytes>","s":"<base64 of the 64-byte Ed25519 signature>"}
 *
 * and the signed bytes are UTF-8 JSON of the header and the body, keys in
 * this order:
 *
 *     {"v":1,"kiosk":…,"from":…,"session":…,"seq":…,"deadline":…,"type":…,"body":…}
 *
 * The signature covers exactly the received `e` bytes, so the receiver never
 * re-serializes before verifying and the JSON needs no canonical form.
 * Nothing inside `e` is trusted before the signature verifies, except what
 * is needed to find the key: the header's shape, the kiosk ID and the sender.
 *
 * What the receiver checks here, in order (the first failure is the reason):
 * size → outer shape → header shape → address → sender key → signature →
 * deadline. The type and body (codec.ts) and the sequence (replay.ts) come
 * after.
 */
import { z } from 'zod';
import { decodeBase64, encodeBase64, encodeUtf8, parseJsonBytes } from './encoding.js';
import { WireError, issueList } from './errors.js';
import { ED25519_SIGNATURE_BYTES, ed25519Sign, ed25519Verify, type Ed25519Signer, type Ed25519Verifier } from './keys.js';
import { idSchema, sessionIdSchema } from './messages.js';
import { parseKioskTopic } from './topics.js';

export const WIRE_VERSION = 1;
/** The whole MQTT payload; the biggest message, a 512-APDU script, fits with room to spare. */
export const MAX_PAYLOAD_BYTES = 256 * 1024;
export const MAX_SEQ = 2 ** 31 - 1;

export type Sender = 'kiosk' | 'center';

export interface EnvelopeHeader {
  v: 1;
  kiosk: string;
  from: Sender;
  /** 16 random bytes, lower-case hex; a new one on every connect. */
  session: string;
  /** 1..2^31-1, increasing within a session (gaps allowed). */
  seq: number;
  /** Milliseconds since the epoch; the receiver refuses the message after it. */
  deadline: number;
  type: string;
}

export interface Envelope<B = unknown> extends EnvelopeHeader {
  body: B;
}

const outerSchema = z.strictObject({ e: z.string(), s: z.string() });

const headerSchema = z.strictObject({
  v: z.literal(WIRE_VERSION),
  kiosk: idSchema,
  from: z.enum(['kiosk', 'center']),
  session: sessionIdSchema,
  seq: z.number().int().min(1).max(MAX_SEQ),
  deadline: z.number().int().min(0),
  type: z.string().min(1).max(32),
  body: z.unknown(),
});

/**
 * Serializes and signs. Returns the MQTT payload bytes.
 * A header that would be refused is a programming error (RangeError); a body
 * too big for one message is a WireError 'too-large' the caller can handle.
 */
export function sealEnvelope(env: Envelope, secretKey: Uint8Array | Ed25519Signer): Uint8Array {
  const header = headerSchema.safeParse(env);
  if (!header.success || env.body === undefined) {
    throw new RangeError(`envelope header invalid: ${header.success ? 'body' : issueList(header.error)}`);
  }
  const { v, kiosk, from, session, seq, deadline, type, body } = env;
  // An explicit literal fixes the key order (and drops any extra property).
  const signed = encodeUtf8(JSON.stringify({ v, kiosk, from, session, seq, deadline, type, body }));
  const signature = typeof secretKey === 'function' ? secretKey(signed) : ed25519Sign(signed, secretKey);
  if (signature.length !== ED25519_SIGNATURE_BYTES) throw new RangeError(`signer gave ${signature.length} bytes, not ${ED25519_SIGNATURE_BYTES}`);
  const payload = encodeUtf8(JSON.stringify({ e: encodeBase64(signed), s: encodeBase64(signature) }));
  if (payload.length > MAX_PAYLOAD_BYTES) {
    throw new WireError('too-large', `${type} envelope is ${payload.length} bytes (max ${MAX_PAYLOAD_BYTES})`);
  }
  return payload;
}

export interface OpenOptions {
  /** The MQTT topic it arrived on. */
  topic: string;
  /** Milliseconds since the epoch, from the receiver's clock. */
  now: number;
  /** The sender's Ed25519 public key; undefined → 'unknown-sender'. */
  publicKeyFor(from: Sender, kiosk: string): Uint8Array | undefined;
  /** The signature check (default `ed25519Verify`); another must be as strict. */
  verify?: Ed25519Verifier;
}

/**
 * Checks in this order and throws WireError with the first failing reason:
 * size (too-large) → outer JSON shape (malformed) → signed header JSON shape
 * (malformed) → address (wrong-address) → publicKeyFor (unknown-sender) →
 * signature over exactly the signed bytes (bad-signature) → deadline < now (late).
 * Type and body are not checked here (codec.ts), nor the sequence (replay.ts).
 */
export function openEnvelope(payload: Uint8Array, opts: OpenOptions): Envelope<unknown> {
  if (!Number.isFinite(opts.now)) throw new RangeError('now must be a finite number of milliseconds');
  if (payload.length > MAX_PAYLOAD_BYTES) {
    throw new WireError('too-large', `payload is ${payload.length} bytes (max ${MAX_PAYLOAD_BYTES})`);
  }

  const outer = outerSchema.safeParse(parseJsonBytes(payload, 'payload'));
  if (!outer.success) throw new WireError('malformed', `payload: ${issueList(outer.error)}`);
  const signed = decodeBase64(outer.data.e, 'e');
  const signature = decodeBase64(outer.data.s, 's');
  if (signature.length !== ED25519_SIGNATURE_BYTES) {
    throw new WireError('malformed', `s: signature is ${signature.length} bytes, not ${ED25519_SIGNATURE_BYTES}`);
  }

  const parsed = headerSchema.safeParse(parseJsonBytes(signed, 'e'));
  if (!parsed.success) throw new WireError('malformed', `header: ${issueList(parsed.error)}`);
  const env = parsed.data as Envelope<unknown>;

  const address = parseKioskTopic(opts.topic);
  const expected = env.from === 'kiosk' ? 'up' : 'down';
  if (address?.kiosk !== env.kiosk || address.channel !== expected) {
    throw new WireError('wrong-address', `a ${env.from} envelope for kiosk ${env.kiosk} must arrive on kiosk/${env.kiosk}/${expected}`);
  }

  const publicKey = opts.publicKeyFor(env.from, env.kiosk);
  if (publicKey === undefined) throw new WireError('unknown-sender', `no key for ${env.from} of kiosk ${env.kiosk}`);
  if (!(opts.verify ?? ed25519Verify)(signature, signed, publicKey)) {
    throw new WireError('bad-signature', `envelope from ${env.from} of kiosk ${env.kiosk}`);
  }

  if (env.deadline < opts.now) {
    throw new WireError('late', `${env.type} seq ${env.seq}: deadline passed ${opts.now - env.deadline} ms ago`);
  }
  return env;
}

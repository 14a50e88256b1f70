/**
 * Every message type of the center ⇄ kiosk protocol, one schema each
 * (DESIGN §5; the flow is docs/protocol.md). Bodies are validated on
 * receipt with these schemas, after the envelope's signature, address,
 * deadline and sequence checks (envelope.ts).
 *
 * Byte fields travel as upper- or lower-case hex strings with a bounded
 * length; identifiers are short ASCII. Nothing here is card data except the
 * `script.apdus` (wrapped, encrypted at SL 33) and `result.responses`
 * (R-MAC'd, R-ENC'd) fields, which are never logged.
 */
import { z } from 'zod';
import { FLEET_DOWN_SCHEMAS, FLEET_UP_SCHEMAS } from './fleet-messages.js';

/** Kiosk, reader and application identifiers: 1..64 of [A-Za-z0-9._-], starting alphanumeric. */
export const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
export const idSchema = z.string().regex(ID_PATTERN);
/** Session IDs: 16 random bytes, lower-case hex. */
export const sessionIdSchema = z.string().regex(/^[0-9a-f]{32}$/);
/** Job IDs: a UUID (the center's jobs.id). */
export const jobIdSchema = z.string().regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
export const attemptSchema = z.number().int().min(1).max(64);

/** Hex of `min..max` bytes (even number of digits). */
export function hexBytes(min: number, max: number): z.ZodString {
  return z
    .string()
    .regex(/^(?:[0-9A-Fa-f]{2})*$/, 'hex bytes')
    .min(min * 2)
    .max(max * 2);
}

/** One command or response APDU: 2..65 544 bytes (extended length). */
const apduHex = hexBytes(2, 65_544);

export const readerKindSchema = z.enum(['sim', 'pcsc', 'dispenser', 'keypad']);

// ---- kiosk → center (topic kiosk/<id>/up) --------------------------------

/** S210: the kiosk opens a session (a new session ID on every connect). */
export const helloSchema = z.strictObject({
  agent: z.string().min(1).max(64),
  readers: z.array(z.strictObject({ id: idSchema, kind: readerKindSchema })).max(8),
  /** Whether a card sits at the IC station now (after a restart: the center recovers its job). */
  card: z.strictObject({ present: z.boolean() }),
});

/**
 * Why a kiosk refused a reader (docs/reader-auth.md): 'no-registry' (none
 * held, or the one offered did not verify or was older), 'unknown-reader'
 * (not in the registry: also a reader a pushed registry dropped),
 * 'kind-mismatch', 'identity-mismatch' (vendor, product or serial differ),
 * 'cannot-sign' (the entry has a key, the device cannot sign: no downgrade to
 * identity match), 'bad-signature', 'io' (the device failed while signing).
 */
export const readerRefusalSchema = z.enum(['no-registry', 'unknown-reader', 'kind-mismatch', 'identity-mismatch', 'cannot-sign', 'bad-signature', 'io']);
export type ReaderRefusalReason = z.infer<typeof readerRefusalSchema>;

/** Step 2: the result of authenticating one reader (or keypad) against the signed registry. */
export const readerReportSchema = z.strictObject({
  reader: idSchema,
  status: z.enum(['authenticated', 'refused']),
  /** When refused. */
  reason: readerRefusalSchema.optional(),
});

/** S230: the customer's application ID and one-time code. */
export const requestSchema = z.strictObject({
  application: idSchema,
  code: z.string().regex(/^[A-Za-z0-9]{4,32}$/),
});

/** S250: the card's answer to SELECT ISD + INITIALIZE UPDATE, or why there is none. */
export const cardSchema = z.strictObject({
  job: jobIdSchema,
  attempt: attemptSchema,
  /** Absent when no card could be powered (hopper empty, no card, power-on failed). */
  atr: hexBytes(2, 33).optional(),
  /** INITIALIZE UPDATE response data, SW stripped (GPC Amd D §7.1.1.6: 29 or 32 bytes). */
  iu: hexBytes(29, 32).optional(),
  /** When the card could not be read: the SW or transport error. */
  error: z
    .strictObject({
      code: z.enum(['status', 'card-removed', 'timeout', 'transport', 'no-card', 'hopper-empty']),
      sw: z.number().int().min(0).max(0xffff).optional(),
    })
    .optional(),
});

/** S290: every response to the script, in order; `error` when it stopped early. */
export const resultSchema = z.strictObject({
  job: jobIdSchema,
  attempt: attemptSchema,
  responses: z.array(apduHex).max(512),
  error: z
    .strictObject({
      /** Index of the APDU that failed (responses.length when it got no response). */
      index: z.number().int().min(0).max(512),
      /** 'package': a sealed-mode package the kiosk refused (sealed elsewhere, tampered, no card session); its log has the reason. */
      code: z.enum(['status', 'card-removed', 'timeout', 'transport', 'late', 'package']),
    })
    .optional(),
});

/** After `issued` / `failed` / `card-refused`: where the card went. */
export const cardDoneSchema = z.strictObject({
  job: jobIdSchema,
  action: z.enum(['ejected', 'captured']),
  ok: z.boolean(),
  /** When the mechanism failed (jam, etc.). */
  error: z.string().regex(/^[a-z-]{1,32}$/).optional(),
});

// ---- center → kiosk (topic kiosk/<id>/down) ------------------------------

/** The reader registry, signed by the center on its own (the kiosk can keep it). */
export const signedRegistrySchema = z.strictObject({
  /** base64 of the registry JSON bytes (registry.ts `ReaderRegistry`). */
  r: z.string().max(64 * 1024),
  /** base64 of the Ed25519 signature over exactly those bytes. */
  s: z.string().max(128),
});

/** S220 accepted: the session is open; here is the signed reader registry. */
export const welcomeSchema = z.strictObject({ registry: signedRegistrySchema });

/**
 * Step 2, later: the kiosk's reader registry changed (a reader added or
 * removed at the center). Sent on the current session; the kiosk verifies
 * it like the welcome's and authenticates its devices again, after the
 * current customer.
 */
export const registryUpdateSchema = z.strictObject({ registry: signedRegistrySchema });

/** S310: issuance is not possible at this kiosk. */
export const refusedSchema = z.strictObject({
  reason: z.enum(['kiosk-unknown', 'kiosk-revoked', 'no-approved-reader', 'session-refused']),
  message: z.string().max(200),
});

/** S230 refused. `attemptsLeft` before lockout, for a wrong code. */
export const requestRefusedSchema = z.strictObject({
  reason: z.enum(['bad-credentials', 'locked', 'not-pending', 'busy', 'no-reader', 'rate-limited']),
  attemptsLeft: z.number().int().min(0).max(100).optional(),
});

/** S240: put a card at the IC station (or use the one there when `recover`) and authenticate it with this challenge. */
export const insertCardSchema = z.strictObject({
  job: jobIdSchema,
  attempt: attemptSchema,
  challenge: hexBytes(8, 8),
  sdAid: hexBytes(5, 16),
  kvn: z.number().int().min(0).max(0x7f),
  /** True: the job's card is already at the station (a re-run); do not feed a new one. */
  recover: z.boolean(),
});

/** S255: this card is refused; capture it. An `insert-card` or `failed` follows. */
export const cardRefusedSchema = z.strictObject({
  job: jobIdSchema,
  attempt: attemptSchema,
  /** 'card-not-in-stock': the card authenticated but is not from a registered batch (docs/provisioning.md §6). */
  reason: z.enum(['card-authentication', 'card-unreadable', 'wrong-card', 'card-not-in-stock']),
});

/** S270: the whole secured script for this attempt. */
export const scriptSchema = z.strictObject({
  job: jobIdSchema,
  attempt: attemptSchema,
  kind: z.enum(['write', 'inspect']),
  /** 'first-error': stop at the first SW other than 9000; 'never': run every APDU (inspect). */
  stop: z.enum(['first-error', 'never']),
  apdus: z.array(apduHex).min(1).max(512),
  /** Counts only, for the screen (never data). */
  summary: z.strictObject({ storeDataBlocks: z.number().int().min(0).max(256), dgis: z.number().int().min(0).max(256) }),
});

/**
 * S270 in sealed mode (DESIGN §3 "Sealed mode"): instead of the secured
 * script, the card's static keys and the job's writing data, sealed to this
 * kiosk's X25519 key (package.ts, package-content.ts). The kiosk opens it in
 * memory, builds the same script itself (card/script/) over the session its
 * INITIALIZE UPDATE opened, runs it and answers with `result`.
 */
export const packageSchema = z.strictObject({
  job: jobIdSchema,
  attempt: attemptSchema,
  kind: z.enum(['write', 'inspect']),
  /** The card profile's name (card/script/profile.ts). */
  profile: idSchema,
  /** The package's own deadline (ms since the epoch), bound into its AEAD: the kiosk refuses it after. */
  deadline: z.number().int().min(0),
  sealed: z.strictObject({
    to: hexBytes(8, 8),
    epk: hexBytes(32, 32),
    nonce: hexBytes(24, 24),
    /** base64 of ciphertext ‖ tag: keys + DGIs, at most ~100 KiB. */
    ct: z.string().min(24).max(140_000),
  }),
});

/** S290 accepted: the job is ISSUED; eject the card to the customer. */
export const issuedSchema = z.strictObject({
  job: jobIdSchema,
  /** The issued card's KDD (its identity from INITIALIZE UPDATE): the kiosk ejects only that card. */
  card: hexBytes(10, 10),
  /** The card's security domain, to read its KDD again when the kiosk no longer knows it (after a restart). */
  sdAid: hexBytes(5, 16),
});

/** The job ended without a card: capture the card (if any) and tell the customer. */
export const failedSchema = z.strictObject({
  job: jobIdSchema,
  reason: z.enum(['verification', 'attempts-exhausted', 'no-valid-card', 'card-missing', 'wrong-card', 'voided', 'internal']),
});

export const UP_SCHEMAS = {
  hello: helloSchema,
  'reader-report': readerReportSchema,
  request: requestSchema,
  card: cardSchema,
  result: resultSchema,
  'card-done': cardDoneSchema,
  ...FLEET_UP_SCHEMAS,
} as const;

export const DOWN_SCHEMAS = {
  welcome: welcomeSchema,
  registry: registryUpdateSchema,
  refused: refusedSchema,
  'request-refused': requestRefusedSchema,
  'insert-card': insertCardSchema,
  'card-refused': cardRefusedSchema,
  script: scriptSchema,
  package: packageSchema,
  issued: issuedSchema,
  failed: failedSchema,
  ...FLEET_DOWN_SCHEMAS,
} as const;

export type UpType = keyof typeof UP_SCHEMAS;
export type DownType = keyof typeof DOWN_SCHEMAS;
export type UpBody<T extends UpType> = z.infer<(typeof UP_SCHEMAS)[T]>;
export type DownBody<T extends DownType> = z.infer<(typeof DOWN_SCHEMAS)[T]>;

/** A decoded message: `type` narrows `body`. */
export type UpMessage = { [T in UpType]: { type: T; body: UpBody<T> } }[UpType];
export type DownMessage = { [T in DownType]: { type: T; body: DownBody<T> } }[DownType];

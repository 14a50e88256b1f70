/**
 * The kiosk's one config schema, with a default for every optional key,
 * decoded once at start-up (STYLE: balena-supervisor's config). An invalid
 * value fails fast with KioskError 'CONFIG_INVALID' naming the key, never
 * echoing the value.
 */
import { z } from 'zod';
import { parseStationSpec, type StationSpec } from '../hardware/station-spec.js';
import { idSchema } from '../wire/messages.js';
import { KioskError } from './errors.js';
import { checkPcrSelection, checkTcti, DEFAULT_PCRS, DEFAULT_TCTI } from './keystore/tpm-params.js';

/** Where a machine secret is provisioned on a real kiosk: outside the identity directory (docs/keystore.md). */
export const DEFAULT_MACHINE_SECRET_FILE = '/etc/cardline/machine-secret';

/** A check function (undefined: valid) as a zod refinement with its reason. */
const checked = (check: (s: string) => string | undefined) =>
  z.string().superRefine((s, ctx) => {
    const bad = check(s);
    if (bad) ctx.addIssue({ code: 'custom', message: bad });
  });

/**
 * Where the kiosk's secrets live at rest (kiosk/keystore/, docs/keystore.md).
 * `sealed-file`: `file` defaults to `<identityDir>/keys.sealed`. `tpm`:
 * `dir` defaults to `<identityDir>/tpm`.
 */
export const keyStoreSchema = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('sealed-file'),
    file: z.string().min(1).optional(),
    machineSecretFile: z.string().min(1).default(DEFAULT_MACHINE_SECRET_FILE),
  }),
  z.strictObject({
    kind: z.literal('tpm'),
    dir: z.string().min(1).optional(),
    tcti: checked(checkTcti).default(DEFAULT_TCTI),
    pcrs: checked(checkPcrSelection).default(DEFAULT_PCRS),
  }),
]);

export type KeyStoreConfig = z.infer<typeof keyStoreSchema>;

/** `mqtts://host:port` and nothing else: TLS always, an explicit port, no credentials, path or query. */
function isBrokerUrl(text: string): boolean {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return false;
  }
  return (
    url.protocol === 'mqtts:' &&
    url.hostname !== '' &&
    /^[0-9]{1,5}$/.test(url.port) &&
    Number(url.port) >= 1 &&
    Number(url.port) <= 65535 &&
    url.username === '' &&
    url.password === '' &&
    (url.pathname === '' || url.pathname === '/') &&
    url.search === '' &&
    url.hash === ''
  );
}

export const kioskConfigSchema = z.strictObject({
  /** The kiosk ID; when absent it is the CN of the identity's certificate (identity.ts checks they match when given). */
  kioskId: idSchema.optional(),
  /** `<pki>/kiosks/<id>/`: the public files tls.crt, ca.crt, center-signing.pub (identity.ts), and the sealed key store by default. */
  identityDir: z.string().min(1),
  /** Where the kiosk's secrets are sealed (default: the sealed file in the identity directory, machine secret in /etc/cardline). */
  keyStore: keyStoreSchema.default({ kind: 'sealed-file', machineSecretFile: DEFAULT_MACHINE_SECRET_FILE }),
  brokerUrl: z.string().refine(isBrokerUrl, 'must be mqtts://host:port'),
  /** The card station (hardware/station-spec.ts): `sim:DIR` (or a bare DIR), `serial:/dev/ttyUSB0[@BAUD]`, `pcsc` or `pcsc:READER NAME`. */
  station: z.string().transform((text, ctx): StationSpec => {
    try {
      return parseStationSpec(text);
    } catch (e) {
      ctx.addIssue({ code: 'custom', message: (e as Error).message });
      return z.NEVER;
    }
  }),
  /** Where the kiosk keeps the last center-signed reader registry it verified (default `<identityDir>/registry.json`; not secret). */
  registryFile: z.string().min(1).optional(),
  /** An optional HID keypad for customers (hardware/hid/): `hid:VVVV:PPPP[:SERIAL]`. */
  keypad: z.string().min(1).max(200).optional(),
  /**
   * How long a customer waits for each answer of the center before the kiosk
   * gives up. Above `answerTimeoutMs`, so the customer is still there when
   * the new session's recovery answers (every message sent, the new hello
   * too, starts this wait again).
   */
  requestTimeoutMs: z.number().int().min(1000).max(600_000).default(45_000),
  /**
   * Silence of the center, while an answer is awaited, after which the kiosk
   * opens a new session so the job resumes on a live center worker
   * (silence-watch.ts); doubled after each new session that got no answer,
   * up to 5 min. Above what a live but slow center may take: a message
   * waits up to `lockWaitMs` (center/store/postgres.ts, 30 s) for the
   * kiosk's lock and up to `gapWaitMs` (center/deps.ts DEFAULT_LIMITS, 30 s
   * since d6f7c1c) for a predecessor, but both end at the message's own
   * deadline, UP_DEADLINE_MS (30 s, link.ts): the center refuses it 'late'
   * after that (center/bridge.ts waitEnd, openEnvelope under the lock). So
   * 30 s, plus 5 s to handle and answer and for clock skew. A shorter wait
   * takes a slow center for a dead one, and each new session's hello runs
   * a recovery that counts an attempt of the job (center/handlers/hello.ts).
   */
  answerTimeoutMs: z.number().int().min(1000).max(600_000).default(35_000),
  /** Per-APDU timeout on the card transport. */
  apduTimeoutMs: z.number().int().min(100).max(120_000).default(10_000),
  /** S310: exit instead of staying connected and showing the refusal. */
  exitOnRefused: z.boolean().default(false),
  logLevel: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
});

export type KioskConfig = z.infer<typeof kioskConfigSchema>;
export type KioskConfigInput = z.input<typeof kioskConfigSchema>;

/** Decodes the config once. Throws KioskError 'CONFIG_INVALID' naming the first bad key. */
export function decodeKioskConfig(input: unknown): KioskConfig {
  const parsed = kioskConfigSchema.safeParse(input);
  if (parsed.success) return parsed.data;
  return invalid(parsed.error, '');
}

/** The `keyStore` key alone (`cardline keystore check|seal`); errors name `keyStore.<key>`. */
export function decodeKeyStoreConfig(input: unknown): KeyStoreConfig {
  const parsed = keyStoreSchema.safeParse(input);
  if (parsed.success) return parsed.data;
  return invalid(parsed.error, 'keyStore');
}

function invalid(error: z.ZodError, prefix: string): never {
  const issue = error.issues[0];
  const path = [prefix, ...(issue?.path.map(String) ?? [])].filter((k) => k !== '');
  // Unrecognized keys carry their names in `keys`, not in `path`.
  if (issue?.code === 'unrecognized_keys') path.push(issue.keys.join(', '));
  const named = path.length > 0 ? path.join('.') : '(root)';
  throw new KioskError('CONFIG_INVALID', `config key '${named}': ${issue?.message ?? 'invalid'}`);
}

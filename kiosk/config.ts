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
  /** `<pki>/kiosks/<id>/`: tls.crt, tls.key, ca.crt, signing.key, center-signing.pub. */
  identityDir: z.string().min(1),
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
  /** How long a customer waits for each answer of the center before the kiosk gives up. */
  requestTimeoutMs: z.number().int().min(1000).max(600_000).default(30_000),
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
  const issue = parsed.error.issues[0];
  const key = issue?.path.map(String).join('.') ?? '';
  // Unrecognized keys carry their names in `keys`, not in `path`.
  const named = key !== '' ? key : issue?.code === 'unrecognized_keys' ? issue.keys.join(', ') : '(root)';
  throw new KioskError('CONFIG_INVALID', `config key '${named}': ${issue?.message ?? 'invalid'}`);
}

/**
 * The fleet messages of the center ⇄ kiosk protocol (issue 7;
 * docs/provisioning.md §3–4): certificate renewal and decommissioning.
 * They travel in the same signed envelopes as every other message.
 * Certificates and requests are PEM text: public, bounded, never a key.
 */
import { z } from 'zod';

/** PEM text of at most `max` characters with the given label(s). */
function pem(label: string, max: number): z.ZodString {
  return z
    .string()
    .max(max)
    .regex(new RegExp(`^-----BEGIN ${label}-----\\r?\\n[A-Za-z0-9+/=\\r\\n]+-----END ${label}-----\\r?\\n?(?:-----BEGIN ${label}-----\\r?\\n[A-Za-z0-9+/=\\r\\n]+-----END ${label}-----\\r?\\n?)*$`), `PEM ${label}`);
}

// ---- center → kiosk ---------------------------------------------------------

/** Renew the TLS certificate: make a new key (pending) and answer with `csr`. */
export const renewSchema = z.strictObject({
  /** The end of validity of the kiosk's current certificate (ms since the epoch). */
  notAfter: z.number().int().min(0),
  reason: z.enum(['expiring', 'requested']),
});

/** The renewed certificate for the pending key: the leaf, then the issuing CA. */
export const certificateSchema = z.strictObject({
  pem: pem('CERTIFICATE', 8192),
  notAfter: z.number().int().min(0),
});

/** Wipe the key store and registry, report `wiped`, and stop. */
export const decommissionSchema = z.strictObject({
  reason: z.string().min(1).max(200),
});

// ---- kiosk → center ---------------------------------------------------------

/** The PKCS#10 request for the pending key (CN = the kiosk ID). */
export const csrSchema = z.strictObject({
  csr: pem('CERTIFICATE REQUEST', 4096),
});

/** The answer to `decommission`: the store is gone (or what failed). */
export const wipedSchema = z.strictObject({
  ok: z.boolean(),
  /** What could not be removed, by file role (never a path with data). */
  failed: z.array(z.string().max(64)).max(8),
});

/** A renewal the kiosk could not do (no key store write, TPM error …): the center logs it and asks again later. */
export const renewFailedSchema = z.strictObject({
  code: z.string().regex(/^[A-Z0-9_]{1,40}$/),
});

export const FLEET_UP_SCHEMAS = { csr: csrSchema, wiped: wipedSchema, 'renew-failed': renewFailedSchema } as const;
export const FLEET_DOWN_SCHEMAS = { renew: renewSchema, certificate: certificateSchema, decommission: decommissionSchema } as const;

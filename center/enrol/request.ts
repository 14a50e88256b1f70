/**
 * The enrolment request (docs/provisioning.md §2 step 3): its JSON schema,
 * strict and bounded, and the proof of possession of the signing key.
 *
 * The proof is the Ed25519 signature by the kiosk's signing key over the
 * enrolment string of wire/enrol-proof.ts, written there once for the
 * kiosk and the center. The keys arrive as lower-case hex (the schema
 * admits nothing else), so the bytes are canonical. The CSR's own
 * signature proves the TLS key.
 */
import { z } from 'zod';
import { verifyEnrolProof as verifyProof } from '../../wire/enrol-proof.js';
import { idSchema } from '../../wire/messages.js';
import { EnrolError } from './errors.js';
import { TOKEN_PATTERN } from './tokens.js';

/** A P-256 request is ~500 bytes of PEM; a few KiB leave room for any encoding, not for a payload. */
export const MAX_CSR_CHARS = 4096;

const hex = (bytes: number) => z.string().regex(new RegExp(`^[0-9a-f]{${bytes * 2}}$`), `${bytes} bytes of lower-case hex`);
const CSR_PEM = /^-----BEGIN CERTIFICATE REQUEST-----\r?\n[A-Za-z0-9+/=\r\n]+-----END CERTIFICATE REQUEST-----\r?\n?$/;

export const enrolRequestSchema = z.strictObject({
  v: z.literal(1),
  kiosk: idSchema,
  token: z.string().regex(TOKEN_PATTERN, 'a token of 43 base64url characters'),
  csr: z.string().max(MAX_CSR_CHARS).regex(CSR_PEM, 'a PEM certificate request'),
  signingPublicKey: hex(32),
  sealingPublicKey: hex(32),
  proof: hex(64),
});

export type EnrolRequest = z.infer<typeof enrolRequestSchema>;

/** Parses the body's bytes. EnrolError body-invalid naming the first bad field, never its value. */
export function parseEnrolRequest(body: Uint8Array): EnrolRequest {
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8'));
  } catch {
    throw new EnrolError('body-invalid', 'the body is not JSON');
  }
  const parsed = enrolRequestSchema.safeParse(json);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  if (issue?.code === 'unrecognized_keys') throw new EnrolError('body-invalid', `unknown field(s): ${issue.keys.map((k) => k.slice(0, 32)).join(', ')}`);
  const field = issue?.path.map(String).join('.') || '(body)';
  throw new EnrolError('body-invalid', `field '${field}' is missing or malformed${issue?.code === 'invalid_format' || issue?.code === 'custom' ? '' : ` (${issue?.code ?? 'invalid'})`}`);
}

/** True when the request's proof is its signing key's signature over the enrolment string (wire/enrol-proof.ts). */
export function verifyEnrolProof(req: Pick<EnrolRequest, 'kiosk' | 'csr' | 'signingPublicKey' | 'sealingPublicKey' | 'proof'>): boolean {
  const bytes = (hex: string): Uint8Array => new Uint8Array(Buffer.from(hex, 'hex'));
  return verifyProof(bytes(req.proof), { kiosk: req.kiosk, csr: req.csr, signingPublicKey: bytes(req.signingPublicKey), sealingPublicKey: bytes(req.sealingPublicKey) });
}

/**
 * The enrolment request (docs/provisioning.md §2 step 3): its JSON schema,
 * strict and bounded, and the proof of possession of the signing key.
 *
 * The proof is the Ed25519 signature by the kiosk's signing key over the
 * UTF-8 bytes of
 *
 *   "cardline-enrol-v1\n" + kiosk + "\n" + sha256hex(csr) + "\n" + sealingPublicKey
 *
 * where sha256hex is lower-case hex of SHA-256 over the CSR exactly as sent
 * (its UTF-8 bytes) and sealingPublicKey is the hex as sent (lower case:
 * the schema admits nothing else, so the string is canonical). The kiosk
 * builds the same bytes (kiosk/enrol/proof.ts; a unit test holds the two
 * together). The CSR's own signature proves the TLS key.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { ed25519Verify } from '../../wire/keys.js';
import { idSchema } from '../../wire/messages.js';
import { EnrolError } from './errors.js';
import { TOKEN_PATTERN } from './tokens.js';

export const PROOF_CONTEXT = 'cardline-enrol-v1';
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

/** The bytes the proof signs. */
export function enrolProofMessage(kiosk: string, csr: string, sealingPublicKeyHex: string): Uint8Array {
  const csrHash = createHash('sha256').update(csr, 'utf8').digest('hex');
  return new Uint8Array(Buffer.from(`${PROOF_CONTEXT}\n${kiosk}\n${csrHash}\n${sealingPublicKeyHex}`, 'utf8'));
}

/** True when the request's proof is its signing key's signature over the enrolment string. */
export function verifyEnrolProof(req: Pick<EnrolRequest, 'kiosk' | 'csr' | 'signingPublicKey' | 'sealingPublicKey' | 'proof'>): boolean {
  return ed25519Verify(Buffer.from(req.proof, 'hex'), enrolProofMessage(req.kiosk, req.csr, req.sealingPublicKey), Buffer.from(req.signingPublicKey, 'hex'));
}

/**
 * An enrolment that can be answered again (docs/provisioning.md §2 "A lost
 * answer"): the center commits the enrolment before it answers, so a
 * kiosk that never got (or could not accept) the answer must be able to
 * ask again with the same token. The used token's row keeps what that
 * takes, all of it public:
 *
 * - csr_sha256: SHA-256 of the CSR exactly as sent (its UTF-8 bytes); the
 *   same request again is the same CSR, hence the same TLS key, and its
 *   proof (checked again) binds the same signing and sealing keys;
 * - certificate: the answer's certificate chain (PEM, leaf + issuing CA);
 * - ca: the answer's root (PEM).
 *
 * NULL on tokens used before this migration (they cannot be answered again)
 * and on unused ones.
 */
export const ENROL_RETRY_MIGRATION = {
  id: 7,
  name: 'enrol-retry',
  sql: `
ALTER TABLE enrolment_tokens ADD COLUMN csr_sha256 bytea CHECK (csr_sha256 IS NULL OR length(csr_sha256) = 32);
ALTER TABLE enrolment_tokens ADD COLUMN certificate text;
ALTER TABLE enrolment_tokens ADD COLUMN ca text;
`,
} as const;

/**
 * Provisioning and fleet operations (issue 7; docs/provisioning.md):
 *
 * - kiosks.status gains 'decommissioned' (revoked, and its key store wiped).
 * - kiosks.renew_requested_at: an operator asked this kiosk to renew its
 *   certificate now (`cardline center kiosks renew`); cleared when the
 *   renewed certificate is issued.
 * - kiosk_certs: every certificate the fleet CA issued to a kiosk, by serial
 *   (lower-case hex, as the CRL lists it). state: 'pending' (issued at a
 *   renewal, not yet used to connect), 'current' (at most one per kiosk),
 *   'superseded' (replaced by a renewal; put on the CRL once the kiosk has
 *   connected with its successor), 'revoked' (on the CRL).
 * - enrolment_tokens: one-time enrolment tokens, kept only as SHA-256 of
 *   the token; bound to one kiosk ID and site, short-lived, single use.
 * - card_batches / stock_cards: card stock prepared by `cardline stock
 *   prepare` and registered at the center. A card is known by its KDD
 *   (20 hex digits, upper case: what card authentication reports); the
 *   center refuses to issue onto a card whose KDD is not in an active batch.
 */
export const FLEET_MIGRATION = {
  id: 6,
  name: 'fleet',
  sql: `
ALTER TABLE kiosks DROP CONSTRAINT kiosks_status_check;
ALTER TABLE kiosks ADD CONSTRAINT kiosks_status_check CHECK (status IN ('active', 'revoked', 'decommissioned'));
ALTER TABLE kiosks ADD COLUMN renew_requested_at timestamptz;

CREATE TABLE kiosk_certs (
  serial text PRIMARY KEY CHECK (serial ~ '^[0-9a-f]{2,40}$'),
  kiosk_id text NOT NULL REFERENCES kiosks (id),
  fingerprint text NOT NULL,
  not_after timestamptz NOT NULL,
  state text NOT NULL CHECK (state IN ('pending', 'current', 'superseded', 'revoked')),
  source text NOT NULL CHECK (source IN ('registered', 'enrolment', 'renewal')),
  issued_at timestamptz NOT NULL,
  revoked_at timestamptz,
  revocation_reason text
);
CREATE UNIQUE INDEX kiosk_certs_one_current ON kiosk_certs (kiosk_id) WHERE state = 'current';
CREATE INDEX kiosk_certs_by_kiosk ON kiosk_certs (kiosk_id);

CREATE TABLE enrolment_tokens (
  token_hash bytea PRIMARY KEY CHECK (length(token_hash) = 32),
  kiosk_id text NOT NULL,
  site text NOT NULL,
  created_at timestamptz NOT NULL,
  expires_at timestamptz NOT NULL,
  used_at timestamptz,
  created_by text NOT NULL
);
CREATE INDEX enrolment_tokens_by_kiosk ON enrolment_tokens (kiosk_id);

CREATE TABLE card_batches (
  id text PRIMARY KEY CHECK (id ~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$'),
  product text NOT NULL,
  card_count integer NOT NULL CHECK (card_count > 0),
  status text NOT NULL CHECK (status IN ('active', 'withdrawn')),
  registered_at timestamptz NOT NULL
);
CREATE TABLE stock_cards (
  kdd text PRIMARY KEY CHECK (kdd ~ '^[0-9A-F]{20}$'),
  batch_id text NOT NULL REFERENCES card_batches (id)
);
CREATE INDEX stock_cards_by_batch ON stock_cards (batch_id);
`,
} as const;

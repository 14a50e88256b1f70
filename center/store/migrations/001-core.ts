/**
 * Core tables: the kiosk registry, its readers, the applications (writing
 * information database, DESIGN §1 (16)), jobs (DESIGN §6) and wire sessions.
 */
export const CORE_MIGRATION = {
  id: 1,
  name: 'core',
  sql: `
CREATE TABLE kiosks (
  id text PRIMARY KEY,
  status text NOT NULL CHECK (status IN ('active', 'revoked')),
  mode text NOT NULL DEFAULT 'relay' CHECK (mode IN ('relay', 'sealed')),
  site text NOT NULL DEFAULT '',
  signing_public_key bytea NOT NULL CHECK (length(signing_public_key) = 32),
  cert_fingerprint text NOT NULL,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL
);

CREATE TABLE readers (
  kiosk_id text NOT NULL REFERENCES kiosks(id),
  id text NOT NULL,
  kind text NOT NULL CHECK (kind IN ('sim', 'pcsc', 'dispenser')),
  public_key bytea CHECK (public_key IS NULL OR length(public_key) = 32),
  created_at timestamptz NOT NULL,
  PRIMARY KEY (kiosk_id, id)
);

CREATE TABLE registry_versions (
  kiosk_id text PRIMARY KEY REFERENCES kiosks(id),
  version integer NOT NULL
);

CREATE TABLE applications (
  id text PRIMARY KEY,
  profile text NOT NULL,
  code_hash text NOT NULL,
  failed_attempts integer NOT NULL DEFAULT 0,
  locked boolean NOT NULL DEFAULT false,
  data_nonce bytea NOT NULL,
  data_enc bytea NOT NULL,
  status text NOT NULL CHECK (status IN ('pending', 'issued', 'voided')),
  expires_at timestamptz,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL
);

CREATE TABLE jobs (
  id uuid PRIMARY KEY,
  application_id text NOT NULL REFERENCES applications(id),
  state text NOT NULL CHECK (state IN ('PENDING', 'RESERVED', 'CARD_AUTHENTICATED', 'WRITING', 'VERIFYING', 'ISSUED', 'FAILED', 'VOIDED')),
  kiosk_id text REFERENCES kiosks(id),
  session_id text,
  card_serial text,
  attempt integer NOT NULL DEFAULT 0,
  next_kind text NOT NULL DEFAULT 'write' CHECK (next_kind IN ('write', 'inspect')),
  cards_refused integer NOT NULL DEFAULT 0,
  host_challenge bytea,
  iu_response bytea,
  script_kind text,
  reason text,
  card_done text CHECK (card_done IS NULL OR card_done IN ('ejected', 'captured')),
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL
);
-- One application never yields two cards: at most one live-or-issued job per application.
CREATE UNIQUE INDEX jobs_one_live_per_application ON jobs (application_id) WHERE state NOT IN ('FAILED', 'VOIDED');
CREATE INDEX jobs_by_card ON jobs (card_serial) WHERE card_serial IS NOT NULL;
-- One card is never bound to two jobs at once, nor re-bound after it was issued (a cloned KDD, a card fed twice).
CREATE UNIQUE INDEX jobs_one_job_per_card ON jobs (card_serial) WHERE state IN ('CARD_AUTHENTICATED', 'WRITING', 'VERIFYING', 'ISSUED');
CREATE INDEX jobs_by_kiosk ON jobs (kiosk_id) WHERE state IN ('RESERVED', 'CARD_AUTHENTICATED', 'WRITING', 'VERIFYING');

CREATE TABLE sessions (
  id text PRIMARY KEY,
  kiosk_id text NOT NULL REFERENCES kiosks(id),
  seq_in integer NOT NULL,
  seq_out integer NOT NULL DEFAULT 0,
  current boolean NOT NULL DEFAULT true,
  opened_at timestamptz NOT NULL
);
CREATE INDEX sessions_by_kiosk ON sessions (kiosk_id) WHERE current;
`,
} as const;

/**
 * The center console (issue 8; docs/screens.md "The center console"):
 *
 * - operators: console accounts. The username is an identifier, never an
 *   e-mail or a name (the pattern keeps it to one); only a scrypt hash of
 *   the password is kept (common/slow-hash.ts). Five failed logins in a row
 *   set locked_until (center/console/operators.ts).
 * - console_sessions: one row per signed-in browser, keyed by SHA-256 of
 *   the cookie's random token (the token itself is never stored), so any
 *   center worker can check a cookie. Ends after 15 minutes idle
 *   (last_seen_at) or at expires_at (8 hours).
 * - What the fleet view shows: kiosks.cert_not_after (from the kiosk's TLS
 *   certificate at registration; NULL for kiosks added before), the agent
 *   version each wire session announced in hello (sessions.agent), when the
 *   session was last heard from and when its MQTT connection ended
 *   (last_seen_at, closed_at), and each reader's last report (reader_status:
 *   one row per kiosk and reader ID, also for a reader the registry lacks).
 */
export const CONSOLE_MIGRATION = {
  id: 5,
  name: 'console',
  sql: `
CREATE TABLE operators (
  username text PRIMARY KEY CHECK (username ~ '^[a-z][a-z0-9._-]{1,31}$'),
  password_hash text NOT NULL,
  role text NOT NULL CHECK (role IN ('viewer', 'operator', 'admin')),
  status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'disabled')),
  failed_logins integer NOT NULL DEFAULT 0 CHECK (failed_logins >= 0),
  locked_until timestamptz,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL
);

CREATE TABLE console_sessions (
  token_hash bytea PRIMARY KEY CHECK (length(token_hash) = 32),
  username text NOT NULL REFERENCES operators(username) ON DELETE CASCADE,
  csrf text NOT NULL,
  created_at timestamptz NOT NULL,
  expires_at timestamptz NOT NULL,
  last_seen_at timestamptz NOT NULL
);
CREATE INDEX console_sessions_by_user ON console_sessions (username);

ALTER TABLE kiosks ADD COLUMN cert_not_after timestamptz;
ALTER TABLE sessions ADD COLUMN agent text;
-- When the job was last reserved by a customer's request (jobs.ts moveJob): the console's issuance latency starts here.
ALTER TABLE jobs ADD COLUMN reserved_at timestamptz;
ALTER TABLE sessions ADD COLUMN last_seen_at timestamptz;
ALTER TABLE sessions ADD COLUMN closed_at timestamptz;

CREATE TABLE reader_status (
  kiosk_id text NOT NULL REFERENCES kiosks(id),
  reader_id text NOT NULL,
  state text NOT NULL CHECK (state IN ('authenticated', 'refused')),
  reason text,
  at timestamptz NOT NULL,
  PRIMARY KEY (kiosk_id, reader_id)
);
`,
} as const;

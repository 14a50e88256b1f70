/**
 * The audit log's tables (DESIGN §6; center/audit/): an RFC 6962 Merkle log.
 *
 * - audit_entries: one row per entry, its canonical text and its leaf hash
 *   (SHA-256(0x00 ‖ UTF-8 text)); idx is the 0-based position in the tree.
 * - audit_head: the one current tree head (id = 1): size, the compact range
 *   of perfect subtree roots needed to append (frontier), the root and the
 *   center's signature over the tree head. Appends lock this row.
 * - audit_checkpoints: signed tree heads kept at sizes 256, 512, … and
 *   whenever a checkpoint is asked for.
 */
export const AUDIT_MIGRATION = {
  id: 2,
  name: 'audit',
  sql: `
CREATE TABLE audit_entries (
  idx integer PRIMARY KEY CHECK (idx >= 0),
  entry text NOT NULL,
  leaf_hash bytea NOT NULL CHECK (length(leaf_hash) = 32)
);

CREATE TABLE audit_head (
  id integer PRIMARY KEY CHECK (id = 1),
  size integer NOT NULL CHECK (size >= 0),
  frontier bytea NOT NULL,
  root bytea NOT NULL CHECK (length(root) = 32),
  signature bytea NOT NULL CHECK (length(signature) = 64),
  signed_at timestamptz NOT NULL
);

CREATE TABLE audit_checkpoints (
  size integer PRIMARY KEY CHECK (size >= 0),
  root bytea NOT NULL CHECK (length(root) = 32),
  signature bytea NOT NULL CHECK (length(signature) = 64),
  signed_at timestamptz NOT NULL
);
`,
} as const;

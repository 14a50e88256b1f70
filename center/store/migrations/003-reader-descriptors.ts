/**
 * Reader descriptors and pushed registries (issue 5 point 4;
 * docs/reader-auth.md):
 *
 * - readers: what each device reports about itself (vendor, product, serial),
 *   which the kiosk compares for identity match; the kind 'keypad'.
 *   Readers added before this migration get the descriptor the simulators
 *   report ('cardline' / 'sim-reader' or 'stx-etx-dispenser/1', serial = the
 *   reader ID); any other row keeps NULLs and is left out of the signed
 *   registry until `center readers add` gives it a descriptor.
 * - sessions.registry_version: the reader-registry version this session
 *   last received (welcome or push), so the center pushes a newer one
 *   exactly to the sessions that lack it. NULL: the session got none yet.
 */
export const READER_DESCRIPTORS_MIGRATION = {
  id: 3,
  name: 'reader-descriptors',
  sql: `
ALTER TABLE readers DROP CONSTRAINT readers_kind_check;
ALTER TABLE readers ADD CONSTRAINT readers_kind_check CHECK (kind IN ('sim', 'pcsc', 'dispenser', 'keypad'));
ALTER TABLE readers ADD COLUMN vendor text CHECK (vendor ~ '^[ -~]{1,64}$');
ALTER TABLE readers ADD COLUMN product text CHECK (product ~ '^[ -~]{1,64}$');
ALTER TABLE readers ADD COLUMN serial text CHECK (serial ~ '^[ -~]{1,64}$');
ALTER TABLE readers ADD CONSTRAINT readers_descriptor_whole CHECK ((vendor IS NULL) = (product IS NULL));
UPDATE readers SET vendor = 'cardline', product = 'sim-reader', serial = id WHERE kind = 'sim';
UPDATE readers SET vendor = 'cardline', product = 'stx-etx-dispenser/1', serial = id WHERE kind = 'dispenser';

ALTER TABLE sessions ADD COLUMN registry_version integer;
`,
} as const;

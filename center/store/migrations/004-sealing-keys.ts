/**
 * Sealed mode (issue 4 point 2; DESIGN §3 "Sealed mode"): each kiosk's
 * X25519 sealing public key, to which the center seals its packages
 * (wire/package.ts). NULL: the kiosk registered none, and it cannot be put
 * in sealed mode (the CHECK keeps that true whoever writes the row).
 * `kiosks.mode` has existed since 001, always 'relay' until now.
 */
export const SEALING_KEYS_MIGRATION = {
  id: 4,
  name: 'sealing-keys',
  sql: `
ALTER TABLE kiosks ADD COLUMN sealing_public_key bytea CHECK (sealing_public_key IS NULL OR length(sealing_public_key) = 32);
ALTER TABLE kiosks ADD CONSTRAINT kiosks_sealed_needs_key CHECK (mode = 'relay' OR sealing_public_key IS NOT NULL);
`,
} as const;

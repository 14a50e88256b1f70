/**
 * Which of a kiosk's sessions is the newest (issue 6, workers): with
 * several workers a kiosk's hellos may be handled out of order — hello(S2)
 * stuck behind a slow worker can come after hello(S3), which the kiosk's
 * watchdog opened later. The center makes a session current only when its
 * hello is newer than every hello the kiosk opened a session with, and
 * "newer" is what the kiosk signs: the hello envelope's deadline (its
 * clock at sealing plus a fixed lifetime, kiosk/link.ts UP_DEADLINE_MS).
 *
 * - sessions.hello_deadline: that deadline (ms since the epoch); NULL on
 *   sessions opened before this migration (older than any hello).
 * - sessions_hello_by_kiosk: the newest hello of a kiosk without a scan.
 */
export const HELLO_DEADLINE_MIGRATION = {
  id: 8,
  name: 'hello-deadline',
  sql: `
ALTER TABLE sessions ADD COLUMN hello_deadline bigint;
CREATE INDEX sessions_hello_by_kiosk ON sessions (kiosk_id, hello_deadline);
`,
} as const;

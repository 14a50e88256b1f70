/**
 * Wire sessions (DESIGN §5): a kiosk opens a new session with `hello` on
 * every connect. Incoming sequence numbers must rise within a session, and
 * only the kiosk's current session is accepted, so a message replayed from
 * an earlier session or an earlier position is refused — across center
 * restarts too, because the positions live in the database.
 */
import { WireError } from '../wire/errors.js';
import type { Sql } from './store/db.js';

/**
 * Opens `session` for `kiosk` at `seq` and makes it the kiosk's only current
 * session — if its hello is the newest: `helloDeadline` (the hello
 * envelope's deadline, which the kiosk signs: its clock at sealing plus a
 * fixed lifetime) above every earlier hello of the kiosk. With several
 * workers, hello(S2) stuck at a slow worker may be handled after hello(S3),
 * which the kiosk sealed later: S2 must not demote S3. An older hello's
 * session is recorded not current (so its later messages are refused at
 * once, not waited for) and the answer is 'older': the caller refuses it
 * 'replayed' after commit. Sessions opened before migration 008 have no
 * hello deadline and count as older than any hello.
 *
 * A kiosk whose clock steps back cannot open a session until the center's
 * clock passes its newest hello's deadline (any hello it sends after that
 * is newer, since the center accepts no hello past its deadline): the
 * lockout is bounded by how far ahead the kiosk's clock was.
 */
export async function openSession(tx: Sql, kiosk: string, session: string, seq: number, now: Date, helloDeadline?: number): Promise<'current' | 'older'> {
  let newest = true;
  if (helloDeadline !== undefined) {
    const r = await tx.query<{ older: boolean | null }>('SELECT max(hello_deadline) >= $2 AS older FROM sessions WHERE kiosk_id = $1', [kiosk, helloDeadline]);
    newest = r.rows[0]?.older !== true;
  }
  const ins = await tx.query(
    `INSERT INTO sessions (id, kiosk_id, seq_in, seq_out, current, opened_at, last_seen_at, hello_deadline) VALUES ($1, $2, $3, 0, $5, $4, $4, $6) ON CONFLICT (id) DO NOTHING`,
    [session, kiosk, seq, now, newest, helloDeadline ?? null],
  );
  if (ins.rowCount === 0) throw new WireError('replayed', `session ${session} was opened before`);
  if (!newest) return 'older';
  await tx.query('UPDATE sessions SET current = false WHERE kiosk_id = $1 AND id <> $2 AND current', [kiosk, session]);
  return 'current';
}

/** Accepts `seq` in the kiosk's current `session` (heard from at `now`), or throws 'unknown-session' / 'replayed'. */
export async function advanceSession(db: Sql, kiosk: string, session: string, seq: number, now: Date): Promise<void> {
  const r = await db.query('UPDATE sessions SET seq_in = $3, last_seen_at = $4 WHERE id = $1 AND kiosk_id = $2 AND current AND seq_in < $3', [session, kiosk, seq, now]);
  if (r.rowCount === 1) return;
  const s = await db.query<{ current: boolean; kiosk_id: string }>('SELECT current, kiosk_id FROM sessions WHERE id = $1', [session]);
  const row = s.rows[0];
  if (!row || row.kiosk_id !== kiosk) throw new WireError('unknown-session', `no session ${session} for kiosk ${kiosk}`);
  if (!row.current) throw new WireError('unknown-session', `session ${session} is no longer current`);
  throw new WireError('replayed', `sequence ${seq} already seen in session ${session}`);
}

/**
 * The kiosk's MQTT connection ended at `now` (the broker saw it go): its
 * current session stays current — messages it sent before are still
 * handled — but the console's fleet view no longer shows the kiosk online.
 * Only a session opened by then is closed: this runs after the event, and a
 * kiosk that reconnected quickly may already have opened its next session,
 * which stays open.
 */
export async function closeSessions(db: Sql, kiosk: string, now: Date): Promise<void> {
  await db.query('UPDATE sessions SET closed_at = $2 WHERE kiosk_id = $1 AND current AND closed_at IS NULL AND opened_at <= $2', [kiosk, now]);
}

/** The next outgoing sequence number of `session`. */
export async function nextSeqOut(db: Sql, session: string): Promise<number> {
  const r = await db.query<{ seq_out: number }>('UPDATE sessions SET seq_out = seq_out + 1 WHERE id = $1 RETURNING seq_out', [session]);
  const row = r.rows[0];
  if (!row) throw new WireError('unknown-session', `no session ${session}`);
  return row.seq_out;
}

export async function currentSession(db: Sql, kiosk: string): Promise<string | undefined> {
  const r = await db.query<{ id: string }>('SELECT id FROM sessions WHERE kiosk_id = $1 AND current ORDER BY opened_at DESC LIMIT 1', [kiosk]);
  return r.rows[0]?.id;
}

/** Where `session` of `kiosk` stands: the last sequence number accepted and whether it is current; undefined when no such session was opened. */
export async function sessionPosition(db: Sql, kiosk: string, session: string): Promise<{ seqIn: number; current: boolean } | undefined> {
  const r = await db.query<{ seq_in: number; current: boolean }>('SELECT seq_in, current FROM sessions WHERE id = $1 AND kiosk_id = $2', [session, kiosk]);
  const row = r.rows[0];
  return row ? { seqIn: row.seq_in, current: row.current } : undefined;
}

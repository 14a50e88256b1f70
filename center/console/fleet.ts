/**
 * `GET /api/fleet` (docs/screens.md): every kiosk with its registry status
 * and mode, whether it is online, the agent version of its latest wire
 * session, its certificate's end of validity, when it was last heard from,
 * and each registered reader with the kiosk's last report about it.
 *
 * Online: the kiosk's latest session is current (the center has not
 * restarted since its hello, no newer session replaced it) and its MQTT
 * connection has not ended (sessions.closed_at, set by the broker).
 */
import type { KioskStatus } from '../registry.js';
import type { Sql } from '../store/db.js';

export interface FleetReader {
  id: string;
  kind: string;
  state: 'authenticated' | 'refused' | 'unknown';
  reason?: string;
}

export interface FleetKiosk {
  id: string;
  status: KioskStatus;
  mode: 'relay' | 'sealed';
  site: string;
  online: boolean;
  agent: string | null;
  certNotAfter: string | null;
  lastSeen: string | null;
  readers: FleetReader[];
}

interface KioskRow {
  id: string;
  status: KioskStatus;
  mode: 'relay' | 'sealed';
  site: string;
  cert_not_after: Date | null;
  agent: string | null;
  online: boolean | null;
  last_seen: Date | null;
}

interface ReaderRow {
  kiosk_id: string;
  id: string;
  kind: string;
  state: 'authenticated' | 'refused' | null;
  reason: string | null;
}

export async function fleetView(db: Sql): Promise<{ kiosks: FleetKiosk[] }> {
  const kiosks = await db.query<KioskRow>(
    `SELECT k.id, k.status, k.mode, k.site, k.cert_not_after, s.agent,
            (s.current AND s.closed_at IS NULL) AS online, COALESCE(s.last_seen_at, s.opened_at) AS last_seen
     FROM kiosks k
     LEFT JOIN LATERAL (SELECT agent, current, closed_at, last_seen_at, opened_at FROM sessions WHERE kiosk_id = k.id ORDER BY opened_at DESC LIMIT 1) s ON true
     ORDER BY k.id`,
  );
  const readers = await db.query<ReaderRow>(
    `SELECT r.kiosk_id, r.id, r.kind, st.state, st.reason
     FROM readers r LEFT JOIN reader_status st ON st.kiosk_id = r.kiosk_id AND st.reader_id = r.id
     ORDER BY r.kiosk_id, r.id`,
  );
  const byKiosk = new Map<string, FleetReader[]>();
  for (const r of readers.rows) {
    const list = byKiosk.get(r.kiosk_id) ?? [];
    list.push({ id: r.id, kind: r.kind, state: r.state ?? 'unknown', ...(r.reason !== null ? { reason: r.reason } : {}) });
    byKiosk.set(r.kiosk_id, list);
  }
  return {
    kiosks: kiosks.rows.map((k) => ({
      id: k.id,
      status: k.status,
      mode: k.mode,
      site: k.site,
      online: k.status === 'active' && k.online === true,
      agent: k.agent,
      certNotAfter: k.cert_not_after?.toISOString() ?? null,
      lastSeen: k.last_seen?.toISOString() ?? null,
      readers: byKiosk.get(k.id) ?? [],
    })),
  };
}

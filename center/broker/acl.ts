/**
 * Who may do what on the broker (DESIGN §3 step 1, §5). Pure: the broker
 * asks, this answers with a decision and, when it says no, a reason code.
 *
 * The role comes from the client certificate's subject, which the fleet CA
 * vouches for (docs/pki.md):
 * - OU=kiosk, CN=<kiosk ID>: publishes to `kiosk/<id>/up` and
 *   `kiosk/<id>/state` only, subscribes to exactly `kiosk/<id>/down`; no
 *   wildcards, so a kiosk never sees another kiosk's traffic, $SYS included.
 * - OU=center, CN=cardline-center: subscribes to `kiosk/+/up`,
 *   `kiosk/+/state` (or one kiosk's), `$share/center/kiosk/+/up` (fleet
 *   workers, DESIGN §7); publishes to `kiosk/<id>/down`.
 * Retained messages only on `kiosk/<id>/state` (the kiosk's online/offline
 * state and its last will): a retained script or request would be replayed
 * to whoever subscribes next.
 *
 * Client IDs (MQTT 3.1.1 §3.1.3.1): a kiosk's must be its CN, the center's
 * `cardline-center` or `cardline-center-<suffix>`. MQTT 3.1.1 §3.1.4 step 2
 * lets a second connection with a client ID close the first, so a client ID
 * of one's own choosing could knock another client off; tied to the
 * certificate, only the holder of the kiosk's key can replace its session.
 * Kiosk IDs beginning with `cardline-` are refused for the same reason (the
 * PKI never issues them).
 */
import { ID_PATTERN } from '../../wire/messages.js';
import { parseKioskTopic } from '../../wire/topics.js';

export const CENTER_CN = 'cardline-center';
/** Kiosk IDs may not begin with it (case-insensitive): service names (provisioning/pki/layout.ts). */
export const RESERVED_PREFIX = 'cardline-';
/** Longest client ID accepted from the center (prefix and suffix). */
const MAX_CENTER_CLIENT_ID = 128;

export type Role = { kind: 'kiosk'; id: string } | { kind: 'center' };

export type AclReason =
  /** The certificate's OU names no role, or OU=center with another CN than cardline-center. */
  | 'role-unknown'
  /** OU=kiosk with a CN outside the kiosk ID pattern or in the reserved names. */
  | 'kiosk-id-invalid'
  /** The CONNECT's client ID does not belong to the certificate. */
  | 'client-id-mismatch'
  /** A topic (or filter without wildcards) outside the role's own. */
  | 'topic-not-allowed'
  /** A filter with + or # that the role may not use. */
  | 'wildcard'
  /** RETAIN set outside `kiosk/<id>/state`. */
  | 'retain-not-allowed';

export type Decision = { ok: true } | { ok: false; reason: AclReason };
export type RoleDecision = { ok: true; role: Role } | { ok: false; reason: AclReason };

const OK: Decision = { ok: true };
const no = (reason: AclReason): Decision => ({ ok: false, reason });

/** The role of a certificate subject (as Node's getPeerCertificate() gives it: a repeated attribute is an array). */
export function roleOf(subject: { CN?: unknown; OU?: unknown }): RoleDecision {
  const { CN: cn, OU: ou } = subject;
  if (typeof ou !== 'string' || typeof cn !== 'string') return { ok: false, reason: 'role-unknown' };
  if (ou === 'kiosk') {
    if (!isKioskId(cn)) return { ok: false, reason: 'kiosk-id-invalid' };
    return { ok: true, role: { kind: 'kiosk', id: cn } };
  }
  if (ou === 'center' && cn === CENTER_CN) return { ok: true, role: { kind: 'center' } };
  return { ok: false, reason: 'role-unknown' };
}

/** A kiosk ID as the broker accepts it: the wire's ID pattern, not a service name. */
export function isKioskId(id: string): boolean {
  return ID_PATTERN.test(id) && !id.toLowerCase().startsWith(RESERVED_PREFIX);
}

export function checkClientId(role: Role, clientId: string): Decision {
  if (role.kind === 'kiosk') return clientId === role.id ? OK : no('client-id-mismatch');
  const ours = clientId === CENTER_CN || (clientId.startsWith(`${CENTER_CN}-`) && clientId.length <= MAX_CENTER_CLIENT_ID);
  return ours ? OK : no('client-id-mismatch');
}

/** PUBLISH (and a last will, which is published on the client's behalf). */
export function checkPublish(role: Role, topic: string, retain: boolean): Decision {
  const t = parseKioskTopic(topic);
  if (!t) return no('topic-not-allowed');
  if (role.kind === 'kiosk') {
    if (t.kiosk !== role.id || t.channel === 'down') return no('topic-not-allowed');
  } else if (t.channel !== 'down') {
    return no('topic-not-allowed');
  }
  if (retain && t.channel !== 'state') return no('retain-not-allowed');
  return OK;
}

/** Filters the center may subscribe to besides one kiosk's up or state topic. */
const CENTER_FILTERS: readonly string[] = ['kiosk/+/up', 'kiosk/+/state', '$share/center/kiosk/+/up'];

/** SUBSCRIBE, one filter. */
export function checkSubscribe(role: Role, filter: string): Decision {
  const wildcard = filter.includes('+') || filter.includes('#');
  if (role.kind === 'kiosk') {
    if (wildcard) return no('wildcard');
    return filter === `kiosk/${role.id}/down` ? OK : no('topic-not-allowed');
  }
  if (CENTER_FILTERS.includes(filter)) return OK;
  if (wildcard) return no('wildcard');
  const t = parseKioskTopic(filter);
  return t && t.channel !== 'down' ? OK : no('topic-not-allowed');
}

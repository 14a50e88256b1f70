/**
 * The dynamic-security plugin's state for the site (the JSON file named by
 * `plugin_opt_config_file`, format of Mosquitto 2.0's plugin): default
 * access denied for everything, one role for the center and one client and
 * role per active kiosk. Pure.
 *
 * Clients have no password: with `use_identity_as_username` the
 * certificate's CN is the username and the plugin's password check does not
 * run; the plugin only gives the client its roles. A client the plugin does
 * not know (a kiosk the registry does not list as active) has the default
 * access: nothing.
 *
 * The ACL types (Mosquitto 2.0 dynsec): publishClientSend (the client
 * publishes), publishClientReceive (the broker delivers to the client),
 * subscribeLiteral (the filter must be this string exactly),
 * subscribePattern (the filter must match as a topic pattern), and the same
 * two for unsubscribe.
 */
import { checkCenterName, checkKioskId } from './checks.js';
import { MosquittoConfigError } from './errors.js';

export const CENTER_ROLE = 'cardline-center';
/** The group of shared subscriptions the center's workers join (DESIGN §7 "Fleet"). */
export const CENTER_SHARE_GROUP = 'center';

export type AclType = 'publishClientSend' | 'publishClientReceive' | 'subscribeLiteral' | 'subscribePattern' | 'unsubscribeLiteral' | 'unsubscribePattern';

export interface DynsecAcl {
  acltype: AclType;
  topic: string;
  priority: number;
  allow: boolean;
}

export interface DynsecRole {
  rolename: string;
  textname?: string;
  acls: DynsecAcl[];
}

export interface DynsecClient {
  username: string;
  textname?: string;
  /** Set to keep a known client out without removing it (dynsec disableClient does the same at run time). */
  disabled?: boolean;
  roles: { rolename: string; priority: number }[];
}

export interface DynsecState {
  defaultACLAccess: { publishClientSend: boolean; publishClientReceive: boolean; subscribe: boolean; unsubscribe: boolean };
  clients: DynsecClient[];
  groups: never[];
  roles: DynsecRole[];
}

const allow = (acltype: AclType, topic: string): DynsecAcl => ({ acltype, topic, priority: 0, allow: true });

/** The role of the center (its bridge and every worker: the same certificate, so the same username). */
export function centerRole(): DynsecRole {
  const share = `$share/${CENTER_SHARE_GROUP}/kiosk/+/up`;
  return {
    rolename: CENTER_ROLE,
    textname: 'Cardline center: kiosk up and state, down to any kiosk, dynsec control',
    acls: [
      // The filters it subscribes with, exactly (a literal match: no broader filter such as '#').
      allow('subscribeLiteral', share),
      allow('subscribeLiteral', 'kiosk/+/up'),
      allow('subscribeLiteral', 'kiosk/+/state'),
      allow('unsubscribeLiteral', share),
      allow('unsubscribeLiteral', 'kiosk/+/up'),
      allow('unsubscribeLiteral', 'kiosk/+/state'),
      allow('publishClientReceive', 'kiosk/+/up'),
      allow('publishClientReceive', 'kiosk/+/state'),
      allow('publishClientSend', 'kiosk/+/down'),
      // A kiosk kicked through dynsec gets no will: the center sets its retained state to {"online":false}
      // (external/link.ts). The plugin cannot restrict payload or RETAIN; the center publishes nothing else there.
      allow('publishClientSend', 'kiosk/+/state'),
      // Kicking a revoked kiosk (disableClient) and reconciling kiosks: the plugin's control topic and its responses.
      allow('publishClientSend', '$CONTROL/dynamic-security/#'),
      allow('subscribePattern', '$CONTROL/dynamic-security/#'),
      allow('publishClientReceive', '$CONTROL/dynamic-security/#'),
      allow('unsubscribePattern', '$CONTROL/dynamic-security/#'),
    ],
  };
}

/** The role name of a kiosk: one role per kiosk, since dynsec ACLs have no %u substitution. */
export function kioskRoleName(id: string): string {
  return `kiosk-${id}`;
}

/** A kiosk's role: publish its up and state topics, subscribe to and receive its down topic, nothing else. */
export function kioskRole(id: string): DynsecRole {
  checkKioskId(id);
  const down = `kiosk/${id}/down`;
  return {
    rolename: kioskRoleName(id),
    acls: [
      allow('publishClientSend', `kiosk/${id}/up`),
      allow('publishClientSend', `kiosk/${id}/state`),
      allow('subscribeLiteral', down),
      allow('unsubscribeLiteral', down),
      allow('publishClientReceive', down),
    ],
  };
}

export function kioskClient(id: string): DynsecClient {
  return { username: checkKioskId(id), roles: [{ rolename: kioskRoleName(id), priority: 0 }] };
}

/**
 * The whole state: the center's client (username = the CN of its
 * certificate, `cardline-center` from `pki init`) and each kiosk of
 * `kiosks` (the active ones; revoked and decommissioned kiosks are left
 * out, so they have no access at all).
 */
export function dynsecState(o: { centerUsername: string; kiosks: readonly string[] }): DynsecState {
  const center = checkCenterName(o.centerUsername);
  const seen = new Set<string>([center]);
  for (const id of o.kiosks) {
    checkKioskId(id);
    if (seen.has(id)) throw new MosquittoConfigError('DUPLICATE_CLIENT', `kiosk ${id} is listed twice or named like the center`);
    seen.add(id);
  }
  const kiosks = [...o.kiosks].sort();
  return {
    defaultACLAccess: { publishClientSend: false, publishClientReceive: false, subscribe: false, unsubscribe: false },
    clients: [{ username: center, textname: 'Cardline center', roles: [{ rolename: CENTER_ROLE, priority: 0 }] }, ...kiosks.map(kioskClient)],
    groups: [],
    roles: [centerRole(), ...kiosks.map(kioskRole)],
  };
}

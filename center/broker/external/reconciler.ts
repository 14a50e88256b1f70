/**
 * Keeps the dynamic-security plugin's kiosks in line with the registry
 * (issue 6 point 1): every active kiosk has its client and its role
 * (../mosquitto/dynsec.ts kioskRole, the same shapes `cardline broker
 * config` writes), and every revoked or decommissioned kiosk that has a
 * client is disabled and has no kiosk role. Kiosks added or revoked by the
 * CLI in another process, or by another worker, reach the broker this way.
 *
 * Why the role goes too: with `use_identity_as_username` the plugin's
 * password check (and so its `disabled` flag) is skipped at CONNECT
 * (checked in Mosquitto 2.0.11's source and by
 * test/integration/mosquitto/revocation.test.ts): a disabled kiosk is
 * kicked but can connect again. Without a role it then gets nothing: every
 * SUBSCRIBE and PUBLISH is denied by default, until the CRL reload refuses
 * its certificate at TLS.
 *
 * A kiosk to turn off that is online is left to the fleet watcher
 * (fleet/watcher.ts kickInactive → the link's disconnectKiosk): a
 * decommissioned kiosk must be told to wipe its store before it is kicked.
 *
 * A full pass (at the first run, then every `fullEveryMs`) reads the
 * plugin's clients (listClients) and sends only what differs. In between,
 * a pass reads the registry's statuses and acts on those that changed
 * since the last pass, with commands that are idempotent. All commands are
 * sent in batches of BATCH.
 */
import type { Clock } from '../../../common/clock.js';
import type { Logger } from '../../../common/log.js';
import { kioskRole, kioskRoleName } from '../mosquitto/dynsec.js';
import { isKioskId } from '../acl.js';
import type { Sql } from '../../store/db.js';
import { BrokerError } from '../errors.js';
import type { DynsecAnswer, DynsecCommand, DynsecControl } from './dynsec-control.js';

const BATCH = 100;
export const DEFAULT_FULL_EVERY_MS = 3_600_000;

type Want = 'on' | 'off';

/** A kiosk client as listClients (verbose) describes it. */
export interface DynsecClientView {
  disabled: boolean;
  roles: string[];
}

/** Errors the plugin gives for what is already the way we want it. */
const EXPECTED: Record<string, readonly string[]> = {
  createRole: ['Role already exists'],
  createClient: ['Client already exists'],
  removeClientRole: ['Client not found'],
  disableClient: ['Client not found'],
};

export interface ReconcilerDeps {
  db: Sql;
  clock: Clock;
  logger: Logger;
  control: Pick<DynsecControl, 'run'>;
  /** Called for each kiosk this pass turned off (the link forgets its presence). */
  onOff?: (kiosk: string) => void;
  /** Whether the kiosk is online (then turning it off is the watcher's kick, not this pass's). */
  isOnline?: (kiosk: string) => boolean;
  fullEveryMs?: number;
}

export class DynsecReconciler {
  /** What this center last made the broker hold, per kiosk. */
  private readonly applied = new Map<string, Want>();
  private lastFull: number | undefined;
  private readonly log: Logger;

  constructor(private readonly d: ReconcilerDeps) {
    this.log = d.logger.child('dynsec');
  }

  /** Whether this center turned the kiosk off at the broker (or found it so). */
  isOff(kiosk: string): boolean {
    return this.applied.get(kiosk) === 'off';
  }

  /** Records a kiosk turned off elsewhere in this process (the link's kick). */
  noteOff(kiosk: string): void {
    this.applied.set(kiosk, 'off');
  }

  /** The next pass is a full one (listClients): what this reconciler applied may no longer be the plugin's state. */
  stale(): void {
    this.lastFull = undefined;
  }

  /** One pass; rejects (BrokerError) when the plugin refuses or does not answer: the next pass retries. */
  async pass(): Promise<void> {
    const now = this.d.clock.now();
    const full = this.lastFull === undefined || now - this.lastFull >= (this.d.fullEveryMs ?? DEFAULT_FULL_EVERY_MS);
    const registry = await this.registry();
    const commands: DynsecCommand[] = [];
    const changed: [string, Want][] = [];
    const clients = full ? await this.listClients() : undefined;
    for (const [id, want] of registry) {
      if (want === 'off' && this.applied.get(id) !== 'off' && this.d.isOnline?.(id) === true) continue;
      if (clients) {
        commands.push(...diff(id, want, clients.get(id)));
      } else if (this.applied.get(id) !== want) {
        commands.push(...(want === 'on' ? turnOn(id) : turnOff(id)));
      } else continue;
      changed.push([id, want]);
    }
    await this.send(commands);
    for (const [id, want] of changed) {
      const before = this.applied.get(id);
      this.applied.set(id, want);
      if (want === 'off' && before !== 'off') this.d.onOff?.(id);
      if (before !== undefined && before !== want) this.log.info(want === 'on' ? 'kiosk given its role at the broker' : 'kiosk disabled at the broker, role removed', { kiosk: id });
    }
    if (full) this.lastFull = now;
  }

  private async registry(): Promise<Map<string, Want>> {
    const r = await this.d.db.query<{ id: string; status: string }>('SELECT id, status FROM kiosks ORDER BY id');
    const m = new Map<string, Want>();
    for (const k of r.rows) if (isKioskId(k.id)) m.set(k.id, k.status === 'active' ? 'on' : 'off');
    return m;
  }

  private async listClients(): Promise<Map<string, DynsecClientView>> {
    const [a] = await this.d.control.run([{ command: 'listClients', verbose: true, count: -1 }]);
    if (!a || a.error !== undefined) throw refused(a);
    return parseClients(a.data);
  }

  private async send(commands: DynsecCommand[]): Promise<void> {
    for (let i = 0; i < commands.length; i += BATCH) {
      const batch = commands.slice(i, i + BATCH);
      const answers = await this.d.control.run(batch);
      const bad = answers.find((a) => a.error !== undefined && !(EXPECTED[a.command] ?? []).includes(a.error));
      if (bad) throw refused(bad);
    }
  }
}

/** The commands that bring one kiosk's client from `has` to `want`. */
export function diff(id: string, want: Want, has: DynsecClientView | undefined): DynsecCommand[] {
  const role = kioskRoleName(id);
  if (want === 'off') {
    if (!has) return [];
    return [...(has.roles.includes(role) ? [{ command: 'removeClientRole', username: id, rolename: role }] : []), ...(has.disabled ? [] : [{ command: 'disableClient', username: id }])];
  }
  if (!has) return turnOn(id);
  const out: DynsecCommand[] = [];
  if (!has.roles.includes(role)) out.push(createRole(id), { command: 'addClientRole', username: id, rolename: role, priority: 0 });
  if (has.disabled) out.push({ command: 'enableClient', username: id });
  return out;
}

/** Idempotent: the role and the client made if missing, the role given again (removed first: the plugin errs on a duplicate), enabled. */
export function turnOn(id: string): DynsecCommand[] {
  const role = kioskRoleName(id);
  return [
    createRole(id),
    { command: 'createClient', username: id, roles: [{ rolename: role, priority: 0 }] },
    { command: 'removeClientRole', username: id, rolename: role },
    { command: 'addClientRole', username: id, rolename: role, priority: 0 },
    { command: 'enableClient', username: id },
  ];
}

/** Idempotent: role removed first (so a reconnect gets nothing), then disabled (which kicks a live connection). */
export function turnOff(id: string): DynsecCommand[] {
  return [
    { command: 'removeClientRole', username: id, rolename: kioskRoleName(id) },
    { command: 'disableClient', username: id },
  ];
}

function createRole(id: string): DynsecCommand {
  const r = kioskRole(id);
  return { command: 'createRole', rolename: r.rolename, acls: r.acls };
}

function refused(a: DynsecAnswer | undefined): BrokerError {
  return new BrokerError('DYNSEC_REFUSED', `the dynamic-security plugin refused ${a?.command ?? 'a command'}: ${a?.error ?? 'no answer'}`);
}

/** listClients' `data` ({ clients: [{ username, disabled?, roles: [{ rolename }] }] }), checked; malformed entries are skipped. */
export function parseClients(data: unknown): Map<string, DynsecClientView> {
  const m = new Map<string, DynsecClientView>();
  const list = typeof data === 'object' && data !== null ? (data as { clients?: unknown }).clients : undefined;
  if (!Array.isArray(list)) throw new BrokerError('DYNSEC_REFUSED', 'listClients answered without a client list');
  for (const c of list) {
    if (typeof c !== 'object' || c === null) continue;
    const { username, disabled, roles } = c as Record<string, unknown>;
    if (typeof username !== 'string') continue;
    const names = Array.isArray(roles) ? roles.flatMap((r) => (typeof r === 'object' && r !== null && typeof (r as { rolename?: unknown }).rolename === 'string' ? [(r as { rolename: string }).rolename] : [])) : [];
    m.set(username, { disabled: disabled === true, roles: names });
  }
  return m;
}

/**
 * The periodic passes (start.ts): every `everyMs` until `signal`, a pass
 * when this worker leads the fleet (`leads`, center/fleet/leader.ts; absent:
 * always), so N workers do not each read the registry every second. A
 * worker that takes the lead over makes its first pass a full one. A failed
 * pass is logged and retried at the next.
 */
export async function reconcileWhileLeading(o: {
  reconciler: Pick<DynsecReconciler, 'pass' | 'stale'>;
  clock: Clock;
  everyMs: number;
  signal: AbortSignal;
  log: Logger;
  leads?: () => Promise<boolean>;
}): Promise<void> {
  let following = false;
  while (!o.signal.aborted) {
    try {
      await o.clock.sleep(o.everyMs, o.signal);
    } catch {
      return;
    }
    const leading = o.leads ? await o.leads().catch(() => false) : true;
    if (!leading) {
      following = true;
      continue;
    }
    if (following) o.reconciler.stale();
    following = false;
    await o.reconciler.pass().catch((e: unknown) => o.log.error('dynsec reconciliation failed (retried next pass)', { error: e }));
  }
}

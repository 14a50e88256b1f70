/**
 * The commands of renewal and decommissioning (docs/provisioning.md §3–4):
 * `center kiosks renew` and `center kiosks decommission`, offline against
 * the center's store and PKI directory like `center kiosks revoke`
 * (center-admin.ts). Each prints a summary or, with --json, one object;
 * exit codes per §7 (fleet-output.ts).
 */
import { markRenewalRequested } from '../../center/fleet/renew-request.js';
import { UsageError, type Command, type CommandContext, type ParsedOptions } from '../command.js';
import { withOfflineCenter } from '../center/offline.js';
import { pkiDir, storeLocation, STORE_OPTIONS } from '../center/store-option.js';
import { fleetOutput, JSON_OPTION } from './fleet-output.js';
import { crlLine, revokeOffline } from './fleet-revoke.js';

function requiredString(opts: ParsedOptions, name: string): string {
  const v = opts[name];
  if (typeof v !== 'string' || v.length === 0) throw new UsageError(`--${name} is required`);
  return v;
}

/** A reason as the audit log takes it: 1..200 characters, no control characters. */
function reasonOf(opts: ParsedOptions): string {
  const r = requiredString(opts, 'reason');
  if (!/^[^\p{Cc}]{1,200}$/u.test(r)) throw new UsageError('--reason: 1..200 characters, no control characters');
  return r;
}

export const kioskRenewCommand: Command = {
  path: ['center', 'kiosks', 'renew'],
  summary: 'Ask a kiosk to renew its TLS certificate now (sets renew_requested_at, audited)',
  usage: 'center kiosks renew --pki DIR --kiosk ID (--data DIR | --database URL) [--json]',
  description: `
Marks the kiosk's certificate for renewal (docs/provisioning.md §3). The
center asks the kiosk (down message renew) at its next hello; a center
running on PostgreSQL asks a connected kiosk within a quarter second. The
kiosk makes a new key in its key store, sends a request, gets its new
certificate and reconnects with it when no customer session is in
progress; the old certificate then goes on the CRL and the mark is cleared.
Refused (exit 1) for an unknown kiosk (KIOSK_UNKNOWN) or one that is not
active (KIOSK_INVALID).`,
  options: { ...STORE_OPTIONS, kiosk: { type: 'string', arg: 'ID', description: 'Kiosk ID' }, ...JSON_OPTION },
  run: async (ctx: CommandContext, opts: ParsedOptions): Promise<number> => {
    const id = requiredString(opts, 'kiosk');
    const pki = pkiDir(opts);
    const store = storeLocation(opts);
    return fleetOutput(ctx, 'center kiosks renew', opts.json === true, async () => {
      const at = await withOfflineCenter(ctx, pki, store, (c) => markRenewalRequested({ db: c.db, audit: c.audit, clock: ctx.clock }, id));
      return { text: `kiosk ${id}: renewal requested\n`, json: { kiosk: id, renewRequestedAt: at.toISOString() } };
    });
  },
};

export const kioskDecommissionCommand: Command = {
  path: ['center', 'kiosks', 'decommission'],
  summary: 'Decommission a kiosk: status decommissioned, its certificates on the CRL (the wipe needs the running center)',
  usage: 'center kiosks decommission --pki DIR --kiosk ID --reason TEXT (--data DIR | --database URL) [--json]',
  description: `
Offline, against the center's store (docs/provisioning.md §4): the kiosk's
status becomes decommissioned and every unexpired certificate of it is
revoked (one transaction, audited kiosk.status, kiosk.certs-revoked and
kiosk.decommissioned), then they go on the CRL (<pki>/ca/crl.pem).

The wipe of the kiosk's key store is a message from the running center to
the connected kiosk: this command cannot send it. With the center running on
PostgreSQL, its fleet watcher sees the new status within a quarter second,
tells the connected kiosk to wipe (decommission), waits up to 10 s for its
wiped report, and closes its connection. With PGlite the running center
holds the store (exit 3): stop it first, and wipe on site with 'cardline
kiosk wipe --identity DIR --yes'. A kiosk that is offline is refused by the
registry and the CRL when it comes back; wipe it on site.
A kiosk already decommissioned is left as it is (exit 0).`,
  options: {
    ...STORE_OPTIONS,
    kiosk: { type: 'string', arg: 'ID', description: 'Kiosk ID' },
    reason: { type: 'string', arg: 'TEXT', description: 'Why (recorded in the audit log; 1..200 characters)' },
    ...JSON_OPTION,
  },
  run: async (ctx: CommandContext, opts: ParsedOptions): Promise<number> => {
    const id = requiredString(opts, 'kiosk');
    const reason = reasonOf(opts);
    const pki = pkiDir(opts);
    const store = storeLocation(opts);
    return fleetOutput(ctx, 'center kiosks decommission', opts.json === true, async () => {
      const r = await revokeOffline(ctx, pki, store, { kiosk: id, status: 'decommissioned', reason });
      const head = r.changed ? `kiosk ${id} decommissioned\n` : `kiosk ${id} was already decommissioned (nothing changed)\n`;
      return { text: head + crlLine(r), json: { ...r } };
    });
  },
};

export function fleetOpsCommands(): Command[] {
  return [kioskRenewCommand, kioskDecommissionCommand];
}

/**
 * Revoking or decommissioning a kiosk offline, against the center's store
 * and PKI directory (`center kiosks revoke|decommission`;
 * docs/provisioning.md §4): the status and the kiosk's certificates in one
 * transaction with their audit entries (center/fleet/revoke.ts, as the
 * running center does it), then every revoked certificate of the kiosk onto
 * the CRL (`revokeSerials`, idempotent: running the command again finishes
 * a CRL step that failed). A center running on PostgreSQL notices within
 * `fleetPollMs`: it kicks the kiosk (telling a decommissioned one to wipe
 * first) and reloads the CRL.
 */
import { isCenterError } from '../../center/errors.js';
import { revokedEntriesOf, revokeInRegistry } from '../../center/fleet/revoke.js';
import { getKiosk } from '../../center/registry.js';
import { PkiError } from '../../provisioning/pki/errors.js';
import { revokeSerials } from '../../provisioning/pki/issuing.js';
import type { CommandContext } from '../command.js';
import { withOfflineCenter } from '../center/offline.js';
import { cryptoRandom } from '../center/store-option.js';
import type { StoreLocation } from '../../center/store/db.js';

export interface OfflineRevocation {
  kiosk: string;
  status: 'revoked' | 'decommissioned';
  /** False when the kiosk already had that status (nothing changed in the registry, nothing audited). */
  changed: boolean;
  /** The kiosk's revoked, unexpired certificates (all on the CRL unless `crl` says otherwise). */
  serials: string[];
  /** 'updated': serials added; 'unchanged': all were there; 'none': nothing to list; 'no-ca': no issuing CA in the PKI directory. */
  crl: 'updated' | 'unchanged' | 'none' | 'no-ca';
}

/** A revocation recorded in the registry whose CRL step failed: the command's error (exit 1, or 3 when the CA was busy). */
class CrlStepError extends Error {
  override readonly name = 'CrlStepError';
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export async function revokeOffline(ctx: CommandContext, pki: string, store: StoreLocation, o: { kiosk: string; status: 'revoked' | 'decommissioned'; reason: string }): Promise<OfflineRevocation> {
  const { entries, changed } = await withOfflineCenter(ctx, pki, store, async (c) => {
    const deps = { db: c.db, audit: c.audit, clock: ctx.clock };
    let changed = true;
    try {
      await revokeInRegistry(deps, o.kiosk, o.reason, {
        status: o.status,
        ...(o.status === 'decommissioned'
          ? { also: async (tx) => void (await c.audit.append(tx, { kind: 'kiosk.decommissioned', kiosk: o.kiosk, detail: { wiped: false, told: false, reason: o.reason } })) }
          : {}),
      });
    } catch (e) {
      // Already in that state (by someone else meanwhile, say): the outcome asked for holds; nothing changed, nothing audited.
      // Not so for `revoke` of a decommissioned kiosk (decommissioned is final): that refusal is the command's error.
      if (!isCenterError(e, 'KIOSK_UNCHANGED') || (await getKiosk(c.db, o.kiosk))?.status !== o.status) throw e;
      changed = false;
    }
    return { entries: await revokedEntriesOf(c.db, new Date(ctx.clock.now()), o.kiosk), changed };
  });
  const serials = entries.map((e) => e.serial);
  if (serials.length === 0) return { kiosk: o.kiosk, status: o.status, changed, serials, crl: 'none' };
  try {
    // Each certificate with the reason it was revoked with (a superseded one stays superseded).
    const r = await revokeSerials(pki, entries.map((e) => ({ serial: e.serial, reason: e.reason, notAfter: e.notAfter })), { random: cryptoRandom, clock: ctx.clock });
    return { kiosk: o.kiosk, status: o.status, changed, serials, crl: r.added.length > 0 ? 'updated' : 'unchanged' };
  } catch (e) {
    if (e instanceof PkiError && e.code === 'NOT_FOUND') {
      ctx.err(`note: ${e.message}: the registry refuses kiosk ${o.kiosk}, but its certificates are not on a CRL\n`);
      return { kiosk: o.kiosk, status: o.status, changed, serials, crl: 'no-ca' };
    }
    const code = e instanceof PkiError ? e.code : 'CRL_FAILED';
    throw new CrlStepError(code, `kiosk ${o.kiosk} is ${o.status} in the registry, but the CRL was not updated (${(e as Error).message}); run the command again`);
  }
}

/** The human line about the CRL. */
export function crlLine(r: OfflineRevocation): string {
  const n = `${r.serials.length} certificate${r.serials.length === 1 ? '' : 's'}`;
  switch (r.crl) {
    case 'updated':
      return `${n} on the CRL (ca/crl.pem re-signed)\n`;
    case 'unchanged':
      return `${n} already on the CRL\n`;
    case 'no-ca':
      return `${n} NOT on a CRL: no issuing CA in the PKI directory\n`;
    case 'none':
      return '';
  }
}

/**
 * `cardline kiosk wipe`: the on-site half of decommissioning
 * (docs/provisioning.md §4): the kiosk's key store — current and pending,
 * sealed file or TPM blobs — zero-filled, fsync'd and unlinked, and its
 * signed registry, as the agent does on the center's `decommission`
 * (kiosk/keystore/wipe.ts). It wipes the default places of both kinds of
 * store (`everyKind`), plus the place --key-file/--tpm-dir names: an
 * operator who forgets --key-store tpm on a TPM kiosk must not be told
 * "ok" with the TPM blobs still there. It cannot be undone, so it asks
 * for --yes.
 */
import { decodeKeyStoreConfig } from '../../kiosk/config.js';
import { wipeKeyStore } from '../../kiosk/keystore/index.js';
import { UsageError, type Command } from '../command.js';
import { JSON_OPTION } from './fleet-output.js';
import { keyStoreOf, keyStoreOptions } from './keystore-options.js';

export const kioskWipeCommand: Command = {
  path: ['kiosk', 'wipe'],
  summary: "Wipe the kiosk's key store and registry (decommissioning on site)",
  usage: 'kiosk wipe --identity DIR [--key-store sealed-file|tpm …] --yes [--json]',
  description: `
Removes the kiosk's private keys for good: every file of its key store,
the current and a pending one (a renewal in progress), is overwritten with
zeros, synced to disk and unlinked; then registry.json, a pending
tls.next.crt and a pending enrolment's enrol.pending. Both kinds of store go, whatever --key-store says: the
sealed files at their default place (<identity>/keys.sealed and
keys.next.sealed) and the TPM store's blobs in <identity>/tpm (seal.pub,
seal.priv, pcrs, tls.tss2.pem, tls.next.tss2.pem, tls.csr, and the
directory when empty: the TPM keeps nothing of them itself); --key-store
with --key-file or --tpm-dir adds that place. The report names every
role removed. The public files (tls.crt, ca.crt, center-signing.pub) and
the machine secret stay.

Stop the kiosk service first. Without --yes nothing is touched (exit 2).
Exit 0 when everything is gone (also when it already was), 1 when a file
could not be removed (named by its role; the rest is still wiped).
Zero-filling is what a file system allows: flash media may keep old pages
(docs/keystore.md "Wiping").`,
  options: {
    identity: { type: 'string', arg: 'DIR', description: "The kiosk's identity directory (required)" },
    registry: { type: 'string', arg: 'FILE', description: 'The signed registry (default <identity>/registry.json)' },
    yes: { type: 'boolean', description: 'Really wipe (required)' },
    ...keyStoreOptions,
    ...JSON_OPTION,
  },
  run: async (ctx, opts) => {
    if (typeof opts.identity !== 'string') throw new UsageError('--identity is required');
    const keyStore = decodeKeyStoreConfig(keyStoreOf(opts));
    if (opts.yes !== true) throw new UsageError('--yes is required: the wipe cannot be undone');
    const report = await wipeKeyStore(
      { identityDir: opts.identity, keyStore, everyKind: true, ...(typeof opts.registry === 'string' ? { registryFile: opts.registry } : {}) },
      { logger: ctx.logger.child('kiosk-wipe') },
    );
    ctx.logger.info('key store wiped', { ok: report.ok, removed: report.removed, failed: report.failed });
    const removed = report.removed.length > 0 ? report.removed.join(', ') : 'nothing (already gone)';
    if (report.ok) {
      ctx.out(opts.json === true ? `${JSON.stringify({ ok: true, removed: report.removed, failed: [] })}\n` : `key store wiped: removed ${removed}\n`);
      return 0;
    }
    const message = `could not remove ${report.failed.join(', ')}`;
    if (opts.json === true) ctx.out(`${JSON.stringify({ ok: false, error: { code: 'WIPE_INCOMPLETE', message }, removed: report.removed, failed: report.failed })}\n`);
    else ctx.err(`cardline kiosk wipe: WIPE_INCOMPLETE: ${message} (removed ${removed})\n`);
    return 1;
  },
};

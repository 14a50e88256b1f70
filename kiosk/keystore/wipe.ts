/**
 * Wiping the kiosk's key store (docs/provisioning.md §4: decommissioning;
 * `cardline kiosk wipe` on site): every file of the store, current and
 * pending, zero-filled, fsync'd and unlinked (wipe-file.ts), then the
 * signed registry and a pending certificate. Each file is a *role*
 * (`sealed-store`, `tls-key`, …): what the report and the `wiped` message
 * name, never a path or content.
 *
 * The TPM store keeps nothing inside the TPM: the storage primary is
 * recreated from the owner seed at every use and never made persistent,
 * and the sealed object and TLS key are loaded from their wrapped blobs each
 * time. With the blobs gone the TPM can no longer produce either key, so
 * there is no persistent handle to evict. The machine secret of a sealed
 * file is not removed: it lives outside the identity directory
 * (/etc/cardline) and is no use without the sealed file.
 */
import { lstat, rmdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Logger } from '../../common/log.js';
import type { KeyStoreConfig } from '../config.js';
import { pendingEnrolmentFile } from '../enrol/pending-enrolment.js';
import { pendingSealedFile, sealedFileOf, tpmDirOf } from './pending.js';
import { tpmStoreFiles } from './tpm-layout.js';
import { zeroAndUnlink, type ZeroedHook } from './wipe-file.js';

export interface WipeTarget {
  /** What the file is (≤ 64 characters): reported when it cannot be removed. */
  role: string;
  path: string;
}

export interface WipeReport {
  /** Every file is gone (or was never there). */
  ok: boolean;
  /** Roles removed now. */
  removed: string[];
  /** Roles that could not be removed. */
  failed: string[];
}

export interface WipeConfig {
  identityDir: string;
  keyStore: KeyStoreConfig;
  /**
   * Also the default places of BOTH kinds (`<identityDir>/keys.sealed`
   * and its pending file, `<identityDir>/tpm/`), whatever `keyStore` says:
   * `cardline kiosk wipe` on site, where the operator may not know (or
   * say) which kind the kiosk was enrolled with.
   */
  everyKind?: boolean;
  /** Default `<identityDir>/registry.json`. */
  registryFile?: string | undefined;
}

function sealedTargets(file: string): WipeTarget[] {
  return [
    { role: 'sealed-store', path: file },
    { role: 'pending-sealed-store', path: pendingSealedFile(file) },
  ];
}

function tpmTargets(dir: string): WipeTarget[] {
  const f = tpmStoreFiles(dir);
  return [
    { role: 'sealed-object-private', path: f.priv },
    { role: 'sealed-object-public', path: f.pub },
    { role: 'tls-key', path: f.tlsKey },
    { role: 'pending-tls-key', path: f.nextTlsKey },
    { role: 'pcr-selection', path: f.pcrs },
    { role: 'certificate-request', path: f.csr },
  ];
}

/** The store directories of the TPM kind the wipe covers (removed once empty). */
function tpmDirs(config: WipeConfig): string[] {
  const dirs = config.keyStore.kind === 'tpm' ? [tpmDirOf(config)] : [];
  if (config.everyKind) dirs.push(join(config.identityDir, 'tpm'));
  return [...new Set(dirs.map((d) => resolve(d)))];
}

/** The files of the store the config names (and with `everyKind` both kinds' default places), and the kiosk's other state beside it. */
export function wipeTargets(config: WipeConfig): WipeTarget[] {
  const sealed = config.keyStore.kind === 'sealed-file' ? [sealedFileOf(config)] : [];
  if (config.everyKind) sealed.push(join(config.identityDir, 'keys.sealed'));
  const all = [
    ...[...new Set(sealed.map((f) => resolve(f)))].flatMap(sealedTargets),
    ...tpmDirs(config).flatMap(tpmTargets),
    { role: 'registry', path: config.registryFile ?? join(config.identityDir, 'registry.json') },
    { role: 'pending-certificate', path: join(config.identityDir, 'tls.next.crt') },
    // A pending enrolment's request (public): with its store gone it would only block a new enrolment.
    { role: 'pending-enrolment', path: pendingEnrolmentFile(config.identityDir) },
  ];
  const seen = new Set<string>();
  return all.filter((t) => !seen.has(resolve(t.path)) && seen.add(resolve(t.path)));
}

/**
 * Wipes every target, going on past failures; never throws for a file.
 * Then looks again: a target that is there after all (something wrote or
 * renamed it during the wipe) is reported failed, so `ok` never hides a
 * store left behind.
 */
export async function wipeKeyStore(config: WipeConfig, o: { onZeroed?: ZeroedHook; logger?: Logger } = {}): Promise<WipeReport> {
  const report: WipeReport = { ok: true, removed: [], failed: [] };
  const targets = wipeTargets(config);
  for (const t of targets) {
    try {
      if ((await zeroAndUnlink(t.path, o.onZeroed)) === 'removed') report.removed.push(t.role);
    } catch (e) {
      report.ok = false;
      report.failed.push(t.role);
      o.logger?.error('wipe failed', { role: t.role, path: t.path, code: (e as NodeJS.ErrnoException).code ?? 'error' });
    }
  }
  for (const t of targets) {
    if (report.failed.includes(t.role) || !(await present(t.path))) continue;
    report.ok = false;
    report.failed.push(t.role);
    o.logger?.error('wipe failed: the file is there again', { role: t.role, path: t.path });
  }
  // The TPM store's directory, once empty (anything else left in it stays, and so does the directory).
  for (const dir of tpmDirs(config)) await rmdir(dir).catch(() => undefined);
  return report;
}

async function present(path: string): Promise<boolean> {
  return lstat(path).then(
    () => true,
    (e: NodeJS.ErrnoException) => e.code !== 'ENOENT',
  );
}

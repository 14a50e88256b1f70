/**
 * Writes the site broker's files atomically: each to a temporary name in
 * the same directory, then renamed over the old one, so a broker (re)started
 * meanwhile reads either the old file or the new one, never half of one.
 *
 * Modes: mosquitto.conf 0644 (no secrets); dynamic-security.json 0600 (the
 * plugin rewrites it on every $CONTROL change, so the broker user must own
 * it: docs/mosquitto.md); the out and persistence directories 0750. The
 * broker's TLS key stays where the PKI keeps it (broker/tls.key, 0600): it
 * is never copied.
 */
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { SiteBrokerFiles } from './site.js';

async function writeAtomic(path: string, text: string, mode: number): Promise<void> {
  const tmp = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    await writeFile(tmp, text, { mode, flag: 'wx' });
    await chmod(tmp, mode); // the umask may have taken bits away
    await rename(tmp, path);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
}

export async function writeSiteBrokerFiles(f: SiteBrokerFiles): Promise<void> {
  await mkdir(dirname(f.paths.conf), { recursive: true, mode: 0o750 });
  await mkdir(f.paths.persistenceDir, { recursive: true, mode: 0o750 });
  await writeAtomic(f.paths.dynsec, `${JSON.stringify(f.dynsec, null, 2)}\n`, 0o600);
  await writeAtomic(f.paths.conf, f.conf, 0o644);
}

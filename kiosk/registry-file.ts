/**
 * The kiosk's copy of its center-signed reader registry (DESIGN §6: the
 * kiosk stores nothing but its sealed keys, its signed registry and, in
 * offline mode, sealed packages). It holds reader IDs, descriptors and
 * public keys — nothing secret, nothing personal — and is always verified
 * again before use (`cardline hw list` reads it). Written whole or not at
 * all: a temp file in the same directory, fsync, rename; and only when it
 * changed: the same registry comes with every welcome (each reconnect), and
 * an unchanged one is not written again (no write, no warning, on a
 * read-only root).
 */
import { randomBytes } from 'node:crypto';
import { open, readFile, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { SignedRegistry } from '../wire/registry.js';

export const REGISTRY_FILE = 'registry.json';

/** Resolves `false` when the file already holds this registry (nothing written), `true` when it was written. */
export async function saveSignedRegistry(path: string, signed: SignedRegistry): Promise<boolean> {
  const text = `${JSON.stringify({ r: signed.r, s: signed.s })}\n`;
  const held = await readFile(path, 'utf8').catch(() => undefined);
  if (held === text) return false;
  const tmp = join(dirname(path), `.${basename(path)}.${randomBytes(4).toString('hex')}.tmp`);
  const fh = await open(tmp, 'wx', 0o644);
  try {
    await fh.writeFile(text);
    await fh.sync();
  } catch (e) {
    await fh.close();
    await unlink(tmp).catch(() => undefined);
    throw e;
  }
  await fh.close();
  try {
    await rename(tmp, path);
  } catch (e) {
    await unlink(tmp).catch(() => undefined);
    throw e;
  }
  return true;
}

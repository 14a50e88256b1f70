/**
 * The kiosk's copy of its center-signed reader registry (DESIGN §6: the
 * kiosk stores nothing but its sealed keys, its signed registry and, in
 * offline mode, sealed packages). It holds reader IDs, descriptors and
 * public keys — nothing secret, nothing personal — and is always verified
 * again before use (`cardline hw list` reads it). Written whole or not at
 * all: a temp file in the same directory, fsync, rename.
 */
import { randomBytes } from 'node:crypto';
import { open, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { SignedRegistry } from '../wire/registry.js';

export const REGISTRY_FILE = 'registry.json';

export async function saveSignedRegistry(path: string, signed: SignedRegistry): Promise<void> {
  const tmp = join(dirname(path), `.${basename(path)}.${randomBytes(4).toString('hex')}.tmp`);
  const fh = await open(tmp, 'wx', 0o644);
  try {
    await fh.writeFile(`${JSON.stringify({ r: signed.r, s: signed.s })}\n`);
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
}

/**
 * File moves of the pending key and its certificate (docs/provisioning.md
 * §3): a rename over the current file, then an fsync of the directory so
 * that the new name survives a power cut (rename(2) is atomic, but only the
 * directory's fsync makes it durable). A crash leaves the old file or the
 * new one at the name, never a mix; what is left over is sorted out at the
 * next start (kiosk/renewal/recover.ts).
 */
import { access, open, rename, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';

/** fsync of a directory: the renames and unlinks in it are on disk. */
export async function syncDirectory(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** Renames `from` over `to` (atomic, same directory) and syncs the directory. */
export async function renameDurably(from: string, to: string): Promise<void> {
  await rename(from, to);
  await syncDirectory(dirname(to));
}

/** Unlinks `path` if it is there; resolves whether it was. */
export async function removeIfPresent(path: string): Promise<boolean> {
  try {
    await unlink(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw e;
  }
  await syncDirectory(dirname(path));
  return true;
}

export async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

/**
 * Renames `from` over `to` and then overwrites what `to` held before with
 * zeros: the replaced file is opened first, so its bytes can still be
 * reached through the descriptor once its name points at the new file.
 * Used for the key swap: the superseded key must not stay readable in a
 * freed inode. A crash between the rename and the zeros leaves the old
 * bytes in a freed inode, as any unlink would.
 */
export async function replaceAndZeroOld(from: string, to: string): Promise<void> {
  let old;
  try {
    old = await open(to, 'r+');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  try {
    await renameDurably(from, to);
    if (old) {
      const size = (await old.stat()).size;
      if (size > 0) await old.write(Buffer.alloc(size), 0, size, 0);
      await old.sync();
    }
  } finally {
    await old?.close();
  }
}

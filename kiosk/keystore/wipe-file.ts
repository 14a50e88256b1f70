/**
 * One file of the key store wiped (docs/provisioning.md §4, docs/keystore.md
 * "Wiping"): its bytes overwritten with zeros through the same descriptor,
 * fsync'd, then the name unlinked and the directory fsync'd.
 *
 * What this buys, and what it does not: the ciphertext (or the TPM blob) is
 * gone from the file system, so nothing that reads files finds it again.
 * On flash (SD cards, eMMC) the controller may keep the old pages until it
 * erases them, and a journaling file system may hold copies in its journal:
 * zero-filling is not a guarantee against a forensic read of the chip. The
 * sealed file is encrypted under the machine secret and the TPM blobs are
 * wrapped by the TPM, so a leftover page is useless without those.
 *
 * A symbolic link is not followed (O_NOFOLLOW): the link itself is removed,
 * its target left alone; anything but a regular file is only unlinked.
 */
import { constants } from 'node:fs';
import { lstat, open, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import { syncDirectory } from './pending-files.js';

/** Test seam: called after the zeros are on disk, before the unlink (a test reads the file there). */
export type ZeroedHook = (path: string) => void | Promise<void>;

const CHUNK = 64 * 1024;

/** 'removed' or 'absent'; throws the fs error (with its code) when it could not. */
export async function zeroAndUnlink(path: string, onZeroed?: ZeroedHook): Promise<'removed' | 'absent'> {
  let st;
  try {
    st = await lstat(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return 'absent';
    throw e;
  }
  if (st.isFile()) {
    const fh = await open(path, constants.O_WRONLY | constants.O_NOFOLLOW);
    try {
      const size = (await fh.stat()).size;
      const zeros = Buffer.alloc(Math.min(CHUNK, Math.max(size, 1)));
      for (let at = 0; at < size; at += zeros.length) {
        await fh.write(zeros, 0, Math.min(zeros.length, size - at), at);
      }
      await fh.sync();
    } finally {
      await fh.close();
    }
    await onZeroed?.(path);
  }
  await unlink(path);
  await syncDirectory(dirname(path));
  return 'removed';
}

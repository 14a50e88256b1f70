/**
 * The key stores' files as raw bytes: the sealed file, the machine secret,
 * the TPM's blobs, read and written through common/key-files.ts's checked
 * reader and atomic writer: one descriptor for the checks and the read, a
 * regular file, bounded size, and — for a secret — no bit of group or
 * others (as OpenSSH refuses private keys). Errors are KeyStoreError
 * naming the path, never the content.
 *
 * Writes are atomic (temporary file beside the target, mode 0600 whatever
 * the umask, fsync, rename, fsync of the directory): a power cut leaves the
 * old store or the new one, never half of one.
 */
import { dirname } from 'node:path';
import { KeyFileError, readChecked, writeAtomic } from '../../common/key-files.js';
import { KeyStoreError } from './types.js';

export interface ReadBytesOptions {
  /** Refuse a file that group or others may read or write. */
  secret: boolean;
  /** Smallest and largest sizes accepted, in bytes. */
  min: number;
  max: number;
  /** What the file is, for messages ("the machine secret"). */
  what: string;
}

/** Reads a whole file into a new Buffer (the caller zeroizes it). MISSING when absent, INVALID otherwise. */
export async function readStoreFile(path: string, o: ReadBytesOptions): Promise<Buffer> {
  let buf: Buffer;
  try {
    buf = await readChecked(path, o.secret, o.max);
  } catch (e) {
    if (!(e instanceof KeyFileError)) throw e;
    throw new KeyStoreError(e.code === 'NOT_FOUND' ? 'MISSING' : 'INVALID', `${o.what} ${e.message}`);
  }
  if (buf.length < o.min) {
    buf.fill(0);
    throw new KeyStoreError('INVALID', `${o.what} ${path}: ${buf.length} bytes (${o.min}..${o.max})`);
  }
  return buf;
}

/**
 * Writes `data` to `path`, mode 0600, atomically (common/key-files.ts
 * `writeAtomic`: temp file, fsync, link or rename, directory fsync). Without
 * `overwrite` an existing file is refused (EXISTS) without a window between
 * a check and the write.
 */
export async function writeStoreFile(path: string, data: Uint8Array, o: { overwrite: boolean; what: string }): Promise<void> {
  try {
    await writeAtomic(path, data, { secret: true, overwrite: o.overwrite });
  } catch (e) {
    if (!(e instanceof KeyFileError)) throw e;
    if (e.code === 'EXISTS') throw new KeyStoreError('EXISTS', `${o.what} ${path} already exists (not overwritten)`);
    if (e.code === 'NOT_FOUND') throw new KeyStoreError('MISSING', `${o.what} ${path}: directory ${dirname(path)} does not exist`);
    throw new KeyStoreError('TOOL_FAILED', `${o.what}: ${e.message}`);
  }
}

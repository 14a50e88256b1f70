/**
 * The key stores' files as raw bytes: the sealed file, the machine secret,
 * the TPM's blobs. common/key-files.ts reads hex keys and PEM texts; these
 * are binary, so the same checks are made here on bytes (it keeps its
 * reader private): one descriptor for the checks and the read, a regular
 * file, bounded size, and — for a secret — no bit of group or others (as
 * OpenSSH refuses private keys). Errors are KeyStoreError naming the path,
 * never the content.
 *
 * Writes are atomic (temporary file beside the target, mode 0600 whatever
 * the umask, fsync, rename, fsync of the directory): a power cut leaves the
 * old store or the new one, never half of one.
 */
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { link, open, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
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
  let fh;
  try {
    // O_NONBLOCK: a FIFO planted at the path must not hang the open (it is then refused as not a regular file).
    fh = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new KeyStoreError('MISSING', `${o.what} ${path}: no such file`);
    throw new KeyStoreError('INVALID', `${o.what} ${path}: cannot open (${code ?? 'error'})`);
  }
  try {
    const st = await fh.stat();
    if (!st.isFile()) throw new KeyStoreError('INVALID', `${o.what} ${path}: not a regular file`);
    if (o.secret && (st.mode & 0o077) !== 0) {
      throw new KeyStoreError('INVALID', `${o.what} ${path}: mode ${(st.mode & 0o777).toString(8).padStart(4, '0')} lets group or others at it (chmod 600)`);
    }
    const buf = Buffer.alloc(o.max + 1);
    let n = 0;
    // Read to EOF through the same descriptor: the size stat saw may be stale.
    for (;;) {
      const { bytesRead } = await fh.read(buf, n, buf.length - n, null);
      if (bytesRead === 0) break;
      n += bytesRead;
      if (n > o.max) break;
    }
    if (n < o.min || n > o.max) {
      buf.fill(0);
      throw new KeyStoreError('INVALID', `${o.what} ${path}: ${n > o.max ? `more than ${o.max}` : n} bytes (${o.min}..${o.max})`);
    }
    const out = Buffer.alloc(n);
    buf.copy(out, 0, 0, n);
    buf.fill(0);
    return out;
  } catch (e) {
    if (e instanceof KeyStoreError) throw e;
    throw new KeyStoreError('INVALID', `${o.what} ${path}: cannot read (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
  } finally {
    await fh.close();
  }
}

/**
 * Writes `data` to `path`, mode 0600. Without `overwrite` an existing file
 * is refused (EXISTS) atomically: link() fails with EEXIST, no window
 * between a check and the write.
 */
export async function writeStoreFile(path: string, data: Uint8Array, o: { overwrite: boolean; what: string }): Promise<void> {
  const dir = dirname(path);
  const tmp = join(dir, `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    const fh = await open(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
    try {
      await fh.chmod(0o600);
      await fh.writeFile(data);
      await fh.sync();
    } finally {
      await fh.close();
    }
    if (o.overwrite) {
      await rename(tmp, path);
    } else {
      await link(tmp, path);
      await unlink(tmp);
    }
    const d = await open(dir, 'r');
    try {
      await d.sync();
    } finally {
      await d.close();
    }
  } catch (e) {
    await unlink(tmp).catch(() => undefined);
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') throw new KeyStoreError('EXISTS', `${o.what} ${path} already exists (not overwritten)`);
    if (code === 'ENOENT') throw new KeyStoreError('MISSING', `${o.what} ${path}: directory ${dir} does not exist`);
    throw new KeyStoreError('TOOL_FAILED', `${o.what} ${path}: cannot write (${code ?? 'error'})`);
  }
}

/**
 * Key and certificate files on disk (docs/pki.md): raw keys as one line of
 * hex, TLS keys and certificates as PEM.
 *
 * Reads check before they trust: the file must exist and be a regular file
 * of bounded size, hold exactly what is expected (so many bytes of hex, a PEM
 * block), and a secret must not be open to group or others (any bit of 077,
 * as OpenSSH refuses private keys). Writes are atomic (temporary file beside
 * the target, fsync, link or rename, fsync of the directory): a crash leaves
 * the old file or the new one, never half a key.
 *
 * Error messages name the path and what was wrong (length, mode), never the
 * file's content.
 */
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { link, open, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

export type KeyFileErrorCode = 'NOT_FOUND' | 'INVALID' | 'TOO_OPEN' | 'EXISTS' | 'IO';

export class KeyFileError extends Error {
  override readonly name = 'KeyFileError';
  constructor(
    readonly code: KeyFileErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export interface ReadOptions {
  /** A secret must be private to its owner (mode 0600 or 0400). */
  secret: boolean;
}

export interface WriteOptions {
  /** Secrets get mode 0600, everything else 0644. */
  secret: boolean;
  /** Replace an existing file; without it an existing file is refused (EXISTS). */
  overwrite?: boolean;
}

/** Largest file read: a PEM chain or a hex key is far smaller. */
export const MAX_KEY_FILE_BYTES = 64 * 1024;

const SECRET_MODE = 0o600;
const PUBLIC_MODE = 0o644;

/** Reads a file holding exactly `bytes` bytes as hex (surrounding whitespace ignored). */
export async function readKeyFile(path: string, bytes: number, opts: ReadOptions = { secret: false }): Promise<Uint8Array> {
  if (!Number.isInteger(bytes) || bytes < 1 || bytes > MAX_KEY_FILE_BYTES / 2) throw new RangeError(`key length ${bytes} out of range`);
  const raw = await readChecked(path, opts.secret);
  try {
    return parseHexKey(raw, bytes, path);
  } finally {
    // The file's text is as secret as the key: wipe it, it never became a string.
    raw.fill(0);
  }
}

/** Reads a PEM file (a certificate, a key, a CRL): at most 64 KiB, holding at least one PEM block. */
export async function readPemFile(path: string, opts: ReadOptions = { secret: false }): Promise<string> {
  const raw = await readChecked(path, opts.secret);
  try {
    const text = raw.toString('ascii');
    if (!hasPemBlock(text)) throw new KeyFileError('INVALID', `${path}: no PEM block (-----BEGIN …----- … -----END …-----)`);
    return text;
  } finally {
    raw.fill(0);
  }
}

/** Writes `data` as one line of lower-case hex. */
export async function writeKeyFile(path: string, data: Uint8Array, opts: WriteOptions): Promise<void> {
  if (data.length === 0) throw new RangeError('empty key');
  const text = Buffer.alloc(data.length * 2 + 1);
  const digits = '0123456789abcdef';
  for (let i = 0; i < data.length; i++) {
    const b = data[i]!;
    text[i * 2] = digits.charCodeAt(b >> 4);
    text[i * 2 + 1] = digits.charCodeAt(b & 0x0f);
  }
  text[text.length - 1] = 0x0a;
  try {
    await writeAtomic(path, text, opts);
  } finally {
    text.fill(0);
  }
}

/** Writes a PEM text (checked to hold a PEM block). */
export async function writePemFile(path: string, pem: string, opts: WriteOptions): Promise<void> {
  if (!hasPemBlock(pem)) throw new KeyFileError('INVALID', `${path}: refusing to write text without a PEM block`);
  const text = Buffer.from(pem.endsWith('\n') ? pem : `${pem}\n`, 'ascii');
  try {
    await writeAtomic(path, text, opts);
  } finally {
    text.fill(0);
  }
}

function hasPemBlock(text: string): boolean {
  return /-----BEGIN ([A-Z0-9 ]+)-----\r?\n[A-Za-z0-9+/=\r\n]+-----END \1-----/.test(text);
}

/** Opens, checks (regular file, size, mode for secrets) and reads through one descriptor, so the checks and the read see the same file. */
/**
 * Reads a whole file through one descriptor into a new Buffer (the caller
 * zeroizes it): a regular file (a FIFO is refused, not waited on), at most
 * `max` bytes, and for a secret no bit of group or others. Throws
 * KeyFileError NOT_FOUND, INVALID, TOO_OPEN or IO naming the path only.
 */
export async function readChecked(path: string, secret: boolean, max = MAX_KEY_FILE_BYTES): Promise<Buffer> {
  let fh;
  try {
    // O_NONBLOCK: a FIFO planted at the path must not hang the open (it is then refused as not a regular file).
    fh = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new KeyFileError('NOT_FOUND', `${path}: no such file`);
    throw new KeyFileError('IO', `${path}: cannot open (${code ?? 'error'})`);
  }
  try {
    const st = await fh.stat();
    if (!st.isFile()) throw new KeyFileError('INVALID', `${path}: not a regular file`);
    if (secret && (st.mode & 0o077) !== 0) {
      throw new KeyFileError('TOO_OPEN', `${path}: mode ${(st.mode & 0o777).toString(8).padStart(4, '0')} lets group or others at a secret (chmod 600)`);
    }
    if (st.size > max) throw new KeyFileError('INVALID', `${path}: ${st.size} bytes, more than ${max}`);
    const buf = Buffer.alloc(max + 1);
    let n = 0;
    // Read until EOF: the size seen by stat may be stale if the file grows.
    for (;;) {
      const { bytesRead } = await fh.read(buf, n, buf.length - n, null);
      if (bytesRead === 0) break;
      n += bytesRead;
      if (n > max) {
        buf.fill(0);
        throw new KeyFileError('INVALID', `${path}: more than ${max} bytes`);
      }
    }
    const out = Buffer.from(buf.subarray(0, n));
    buf.fill(0);
    return out;
  } catch (e) {
    if (e instanceof KeyFileError) throw e;
    throw new KeyFileError('IO', `${path}: cannot read (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
  } finally {
    await fh.close();
  }
}

const isSpace = (c: number): boolean => c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;

function nibble(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  return -1;
}

/** Hex straight from the file's bytes (no intermediate string holding the key). */
function parseHexKey(raw: Buffer, bytes: number, path: string): Uint8Array {
  let start = 0;
  let end = raw.length;
  while (start < end && isSpace(raw[start]!)) start++;
  while (end > start && isSpace(raw[end - 1]!)) end--;
  const digits = end - start;
  if (digits !== bytes * 2) {
    throw new KeyFileError('INVALID', `${path}: expected ${bytes * 2} hex digits (${bytes} bytes), found ${digits} characters`);
  }
  const out = new Uint8Array(bytes);
  for (let i = 0; i < bytes; i++) {
    const hi = nibble(raw[start + i * 2]!);
    const lo = nibble(raw[start + i * 2 + 1]!);
    if (hi < 0 || lo < 0) {
      out.fill(0);
      throw new KeyFileError('INVALID', `${path}: not hex (character ${i * 2 + (hi < 0 ? 0 : 1) + 1} of the key)`);
    }
    out[i] = (hi << 4) | lo;
  }
  return out;
}

/**
 * Temporary file (exclusive create, exact mode whatever the umask), fsync,
 * then link() when not overwriting (fails with EEXIST atomically: no window
 * between a check and the write) or rename() when overwriting; then fsync of
 * the directory so that the new name is durable.
 */
export async function writeAtomic(path: string, data: Uint8Array, opts: WriteOptions): Promise<void> {
  const mode = opts.secret ? SECRET_MODE : PUBLIC_MODE;
  const dir = dirname(path);
  const tmp = join(dir, `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    const fh = await open(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, SECRET_MODE);
    try {
      await fh.chmod(mode);
      await fh.writeFile(data);
      await fh.sync();
    } finally {
      await fh.close();
    }
    if (opts.overwrite) {
      await rename(tmp, path);
    } else {
      await link(tmp, path);
      await unlink(tmp);
    }
    await syncDirectory(dir);
  } catch (e) {
    await unlink(tmp).catch(() => undefined);
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') throw new KeyFileError('EXISTS', `${path}: already exists (not overwritten)`);
    if (code === 'ENOENT') throw new KeyFileError('NOT_FOUND', `${path}: directory ${dir} does not exist`);
    throw new KeyFileError('IO', `${path}: cannot write (${code ?? 'error'})`);
  }
}

async function syncDirectory(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/**
 * The simulated reader's identity: an Ed25519 key pair for reader
 * authentication (DESIGN §3 step 2, §4 "reader identity keys: reader / SAM
 * (simulated: file on the simulator)"). It stands in for a key inside a
 * reader or its SAM, so the private key lives in the simulator's own
 * directory, never in the kiosk's.
 *
 * Files (one key pair per directory), read and written by
 * common/key-files.ts (atomic writes; reads check size, hex and mode):
 *   reader.key  64 hex digits: the Ed25519 secret key (RFC 8032 §5.1.5, the
 *               32-byte seed); mode 0600, refused when open to group or
 *               others, as OpenSSH refuses a private key
 *   reader.pub  64 hex digits: its public key (what the reader registry
 *               holds); `load` checks that it is the secret key's
 *
 * Errors never quote a file's content.
 */
import { randomBytes } from 'node:crypto';
import { unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { ed25519 } from '@noble/curves/ed25519.js';
import { equalBytes, toHex, zeroize } from '../../card/bytes.js';
import { KeyFileError, readKeyFile, writeKeyFile } from '../../common/key-files.js';
import type { DeviceDescriptor, ReaderIdentity } from '../station.js';

export const READER_KEY_FILE = 'reader.key';
export const READER_PUB_FILE = 'reader.pub';
/** Registry IDs: printable, no spaces or path separators (they end up in topics and logs). */
const ID_RE = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/;

export type ReaderKeyErrorCode = 'ARGUMENT_INVALID' | 'EXISTS' | 'NOT_FOUND' | 'KEY_INVALID' | 'KEY_MODE' | 'KEY_MISMATCH' | 'IO' | 'CLOSED';

export class ReaderKeyError extends Error {
  override readonly name = 'ReaderKeyError';
  constructor(
    readonly code: ReaderKeyErrorCode,
    message: string,
  ) {
    super(`${code}: ${message}`);
  }
}

export interface ReaderKeyCreateOptions {
  /** Registry ID (default `sim-<first 8 hex digits of the public key>`). */
  id?: string;
  /** Random source for the secret key (default node:crypto); tests pass a fixed one. */
  random?: (n: number) => Uint8Array;
}

/** The default ID of a simulated reader with this public key. */
export function defaultReaderId(publicKey: Uint8Array): string {
  return `sim-${toHex(publicKey.subarray(0, 4)).toLowerCase()}`;
}

export class SimReaderIdentity implements ReaderIdentity {
  readonly kind = 'sim' as const;
  readonly canSign = true;
  private destroyed = false;

  private constructor(
    readonly id: string,
    private readonly secretKey: Uint8Array,
    private readonly pub: Uint8Array,
  ) {}

  /** Makes a new key pair in `dir` (which must exist); refuses EXISTS when either file is there. */
  static async create(dir: string, opts: ReaderKeyCreateOptions = {}): Promise<SimReaderIdentity> {
    const secret = new Uint8Array(opts.random ? opts.random(32) : randomBytes(32));
    if (secret.length !== 32) throw new ReaderKeyError('ARGUMENT_INVALID', `random source gave ${secret.length} bytes, not 32`);
    const pub = ed25519.getPublicKey(secret);
    const id = opts.id ?? defaultReaderId(pub);
    checkReaderId(id);
    const keyPath = join(dir, READER_KEY_FILE);
    try {
      // Never over an existing key (EXISTS): a reader's identity is replaced only by hand.
      await writeKeyFile(keyPath, secret, { secret: true });
      try {
        await writeKeyFile(join(dir, READER_PUB_FILE), pub, { secret: false });
      } catch (e) {
        await unlink(keyPath).catch(() => undefined);
        throw e;
      }
    } catch (e) {
      zeroize(secret);
      throw mapKeyFileError(e);
    }
    return new SimReaderIdentity(id, secret, pub);
  }

  /** Loads the key pair in `dir`, validated (see the file comment). */
  static async load(dir: string, id?: string): Promise<SimReaderIdentity> {
    let secret: Uint8Array;
    let pub: Uint8Array;
    try {
      secret = await readKeyFile(join(dir, READER_KEY_FILE), 32, { secret: true });
    } catch (e) {
      throw mapKeyFileError(e);
    }
    try {
      pub = await readKeyFile(join(dir, READER_PUB_FILE), 32, { secret: false });
    } catch (e) {
      zeroize(secret);
      throw mapKeyFileError(e);
    }
    if (!equalBytes(ed25519.getPublicKey(secret), pub)) {
      zeroize(secret);
      throw new ReaderKeyError('KEY_MISMATCH', `${READER_PUB_FILE} in ${dir} is not the public key of ${READER_KEY_FILE}`);
    }
    const theId = id ?? defaultReaderId(pub);
    checkReaderId(theId);
    return new SimReaderIdentity(theId, secret, pub);
  }

  /** The simulated reader reports its ID as its serial. */
  get descriptor(): DeviceDescriptor {
    return { vendor: 'cardline', product: 'sim-reader', serial: this.id };
  }

  get publicKey(): Uint8Array {
    return this.pub.slice();
  }

  /** The public key, 64 lowercase hex digits (as in reader.pub). */
  get publicKeyHex(): string {
    return toHex(this.pub).toLowerCase();
  }

  /** Ed25519 signature (RFC 8032 §5.1.6) of `message`; rejects CLOSED after destroy(). */
  sign(message: Uint8Array): Promise<Uint8Array | undefined> {
    if (this.destroyed) return Promise.reject(new ReaderKeyError('CLOSED', `reader identity ${this.id} was destroyed`));
    return Promise.resolve(ed25519.sign(message, this.secretKey));
  }

  /** Wipes the secret key from memory; sign() rejects afterwards. Idempotent. */
  destroy(): void {
    this.destroyed = true;
    zeroize(this.secretKey);
  }
}

/** Throws ReaderKeyError ARGUMENT_INVALID unless `id` is a usable registry ID. */
export function checkReaderId(id: string): void {
  if (!ID_RE.test(id)) throw new ReaderKeyError('ARGUMENT_INVALID', 'reader id must be 1..64 of A-Z a-z 0-9 . _ : - (starting with a letter or digit)');
}

const KEY_FILE_CODES: Record<KeyFileError['code'], ReaderKeyErrorCode> = {
  NOT_FOUND: 'NOT_FOUND',
  INVALID: 'KEY_INVALID',
  TOO_OPEN: 'KEY_MODE',
  EXISTS: 'EXISTS',
  IO: 'IO',
};

/** Key-file errors as this module's codes; the message (path, lengths, mode; never content) is kept. */
function mapKeyFileError(e: unknown): unknown {
  return e instanceof KeyFileError ? new ReaderKeyError(KEY_FILE_CODES[e.code], e.message) : e;
}

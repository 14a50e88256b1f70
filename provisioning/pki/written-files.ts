/**
 * The files one PKI operation wrote, so that a failure can take them back:
 * nothing half-made stays behind (a retry starts from the same state).
 * Every write is atomic (common/key-files.ts) and refuses to replace an
 * existing file.
 */
import { unlink } from 'node:fs/promises';
import { writeAtomic, writeKeyFile, writePemFile } from '../../common/key-files.js';
import { ed25519PublicKey, newEd25519Secret } from '../../wire/keys.js';
import type { Random } from './ca.js';
import { PkiError } from './errors.js';

export class WrittenFiles {
  private readonly written: string[] = [];

  async pem(path: string, text: string, secret: boolean): Promise<void> {
    await writePemFile(path, text, { secret });
    this.written.push(path);
  }

  /** A UTF-8 text file (revoked.json), public. */
  async text(path: string, text: string): Promise<void> {
    await writeAtomic(path, Buffer.from(text, 'utf8'), { secret: false });
    this.written.push(path);
  }

  /** A file written by someone else (the key store), taken back with the rest on failure. */
  track(path: string): void {
    this.written.push(path);
  }

  async hex(path: string, data: Uint8Array, secret: boolean): Promise<void> {
    await writeKeyFile(path, data, { secret });
    this.written.push(path);
  }

  async randomKey(path: string, bytes: number, random: Random): Promise<void> {
    const key = random(bytes);
    if (!(key instanceof Uint8Array) || key.length !== bytes) throw new PkiError('INVALID_ARGUMENT', `random source must return ${bytes} bytes`);
    try {
      await this.hex(path, key, true);
    } finally {
      key.fill(0);
    }
  }

  /** A new Ed25519 signing key (secret 0600, public beside it); returns the public key. */
  async signingKey(secretPath: string, publicPath: string, random: Random): Promise<Uint8Array> {
    const secret = newEd25519Secret(random);
    try {
      const pub = ed25519PublicKey(secret);
      await this.hex(secretPath, secret, true);
      await this.hex(publicPath, pub, false);
      return pub;
    } finally {
      secret.fill(0);
    }
  }

  async rollback(): Promise<void> {
    for (const path of this.written.reverse()) await unlink(path).catch(() => undefined);
  }
}

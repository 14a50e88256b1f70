/**
 * The broker's view of `ca/crl.pem` (docs/provisioning.md §1): the file
 * holds the root CRL followed by the issuing CA's, and Node reads one CRL
 * per string, so it is handed to the broker block by block. A content hash
 * tells the fleet watcher when another process (the CLI, another worker)
 * re-signed it.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../../common/log.js';
import { pemBlocks } from '../../common/pem-blocks.js';

/** The CRL blocks of a PEM file, one string each (common/pem-blocks.ts; RangeError on a broken frame). */
export function crlBlocks(pem: string): string[] {
  return pemBlocks(pem, 'X509 CRL');
}

export function crlPath(pkiDir: string): string {
  return join(pkiDir, 'ca', 'crl.pem');
}

/** Keeps the broker's CRLs in step with the file. */
export class CrlFollower {
  private hash: string | undefined;
  private readonly log: Logger;

  constructor(
    private readonly pkiDir: string,
    private readonly reload: (crls: string[]) => void,
    logger: Logger,
  ) {
    this.log = logger.child('crl');
  }

  /** Records the CRLs the broker was started with, so that an unchanged file is not reloaded. */
  started(blocks: readonly string[]): void {
    this.hash = digest(blocks.join(''));
  }

  /**
   * Reads the file and, if its content changed since the last load (or
   * `force`), hands its blocks to the broker. Resolves true when it reloaded.
   * A file without a CRL block is refused (the old CRLs stay in force).
   */
  async refresh(force = false): Promise<boolean> {
    const blocks = crlBlocks(await readFile(crlPath(this.pkiDir), 'utf8'));
    const hash = digest(blocks.join(''));
    if (!force && hash === this.hash) return false;
    if (blocks.length === 0) throw new Error(`${crlPath(this.pkiDir)} holds no X509 CRL block`);
    this.reload(blocks);
    this.hash = hash;
    this.log.info('broker CRL reloaded', { blocks: blocks.length });
    return true;
  }
}

function digest(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

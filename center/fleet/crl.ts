/**
 * The broker's view of `ca/crl.pem` (docs/provisioning.md §1): the file
 * holds the root CRL followed by the issuing CA's, and Node reads one CRL
 * per string, so it is handed to the broker block by block. A content hash
 * tells the fleet watcher when another process (the CLI, another worker)
 * re-signed it.
 */
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import type { Logger } from '../../common/log.js';
import { loadCrls } from '../keys.js';

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
   * A file that is too large (center/keys.ts MAX_CRL_FILE_BYTES), broken or
   * without a CRL block is refused (KeyFileError; the old CRLs stay in force).
   */
  async refresh(force = false): Promise<boolean> {
    const blocks = await loadCrls(crlPath(this.pkiDir));
    const hash = digest(blocks.join(''));
    if (!force && hash === this.hash) return false;
    this.reload(blocks);
    this.hash = hash;
    this.log.info('broker CRL reloaded', { blocks: blocks.length });
    return true;
  }
}

function digest(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/**
 * The broker's view of `ca/crl.pem` (docs/provisioning.md §1): the file
 * holds the root CRL followed by the issuing CA's, and Node reads one CRL
 * per string, so it is handed to the broker block by block. A content hash
 * tells the fleet watcher when another process (the CLI, another worker)
 * re-signed it.
 *
 * Nothing is reloaded unchecked (crl-check.ts): each block must be signed
 * by the root or the issuing CA of this PKI, one CRL each, and neither CA's
 * cRLNumber may go down compared with the CRL loaded before. A refused file
 * leaves the CRLs in force; the refusal is logged (error) once per content
 * and thrown (CrlCheckError) to the caller.
 */
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import type { Logger } from '../../common/log.js';
import { loadCrls } from '../keys.js';
import { checkCrlBlocks, loadCrlAuthorities, numbersOf, type CrlNumbers } from './crl-check.js';

export function crlPath(pkiDir: string): string {
  return join(pkiDir, 'ca', 'crl.pem');
}

/** Keeps the broker's CRLs in step with the file. */
export class CrlFollower {
  private hash: string | undefined;
  /** cRLNumbers of the CRLs in force, per CA (undefined until known). */
  private numbers: CrlNumbers | undefined;
  /** The blocks the broker was started with, until their numbers are known. */
  private startBlocks: readonly string[] | undefined;
  /** Hash of the last file refused, so that it is logged once, not at every pass. */
  private refusedHash: string | undefined;
  private readonly log: Logger;

  constructor(
    private readonly pkiDir: string,
    /** May return a promise (the external broker's SIGHUP): awaited, so its failure is the refresh's. */
    private readonly reload: (crls: string[]) => unknown,
    logger: Logger,
  ) {
    this.log = logger.child('crl');
  }

  /** Records the CRLs the broker was started with: an unchanged file is not reloaded, and no later CRL may be older. */
  started(blocks: readonly string[]): void {
    this.hash = digest(blocks.join(''));
    this.startBlocks = blocks;
  }

  /**
   * Reads the file and, if its content changed since the last load (or
   * `force`), checks it and hands its blocks to the broker. Resolves true
   * when it reloaded. A file that is too large (center/keys.ts
   * MAX_CRL_FILE_BYTES), broken or without a CRL block (KeyFileError), or
   * refused by crl-check.ts (CrlCheckError) is not loaded: the old CRLs stay
   * in force.
   */
  async refresh(force = false): Promise<boolean> {
    const blocks = await loadCrls(crlPath(this.pkiDir));
    const hash = digest(blocks.join(''));
    if (!force && hash === this.hash) return false;
    let numbers: Required<CrlNumbers>;
    try {
      const cas = await loadCrlAuthorities(this.pkiDir);
      if (this.numbers === undefined && this.startBlocks !== undefined) this.numbers = numbersOf(this.startBlocks, cas);
      numbers = checkCrlBlocks(blocks, cas, this.numbers ?? {});
    } catch (e) {
      if (hash !== this.refusedHash) this.log.error('ca/crl.pem refused: the CRLs in force stay loaded', { error: e });
      this.refusedHash = hash;
      throw e;
    }
    await this.reload(blocks);
    this.hash = hash;
    this.numbers = numbers;
    this.startBlocks = undefined;
    this.log.info('broker CRL reloaded', { blocks: blocks.length, root: numbers.root, issuing: numbers.issuing });
    return true;
  }
}

function digest(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

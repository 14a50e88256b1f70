/**
 * `cardline audit verify`: checks the center's audit log (DESIGN §6) in a
 * PGlite data directory or a PostgreSQL database against the center's
 * Ed25519 public key. Exit 0 when every entry, checkpoint and head verifies,
 * 1 when anything was edited, deleted, inserted or reordered (or the store
 * cannot be read), 2 on bad options.
 *
 * It never changes the store: no migration runs, the data directory must
 * already exist, and the reads run in one READ ONLY, REPEATABLE READ
 * transaction, so a center appending meanwhile (PostgreSQL) is seen at one
 * instant.
 */
import { existsSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { verifySnapshot, type AuditVerifyReport } from '../../center/audit/verify.js';
import type { Db } from '../../center/store/db.js';
import { openPglite } from '../../center/store/pglite.js';
import { openPostgres } from '../../center/store/postgres.js';
import { QueryError } from '../../center/store/query-error.js';
import { UsageError, type Command, type CommandContext, type ParsedOptions } from '../command.js';

export const auditVerifyCommand: Command = {
  path: ['audit', 'verify'],
  summary: "Verify the center's audit log: every entry, checkpoint root and signature",
  usage: 'audit verify (--data DIR | --database URL) --center-key FILE',
  description: `
Recomputes every entry's leaf hash from its text and the Merkle tree (RFC 6962)
from them, and checks the root and the center's Ed25519 signature at every
checkpoint and at the head. Any edited, deleted, inserted or reordered entry,
or an edited checkpoint or head, is reported with its position.

  --data DIR         the center's PGlite data directory (the center must be
                     stopped: PGlite admits one process)
  --database URL     postgres:// or postgresql:// URL of the center's database
  --center-key FILE  the center's Ed25519 public key, 64 hex digits
                     (the dev PKI writes it at <pki>/center/signing.pub)

Exit status: 0 verified, 1 tampered (or the store could not be read), 2 usage.`,
  options: {
    data: { type: 'string', arg: 'DIR', description: 'PGlite data directory' },
    database: { type: 'string', arg: 'URL', description: 'PostgreSQL URL' },
    'center-key': { type: 'string', arg: 'FILE', description: "The center's Ed25519 public key (64 hex digits)" },
  },
  run: runAuditVerify,
};

async function runAuditVerify(ctx: CommandContext, opts: ParsedOptions): Promise<number> {
  const data = opts.data as string | undefined;
  const database = opts.database as string | undefined;
  const keyFile = opts['center-key'] as string | undefined;
  if ((data === undefined) === (database === undefined)) throw new UsageError('give exactly one of --data DIR and --database URL');
  if (keyFile === undefined) throw new UsageError('--center-key FILE is required');
  const key = await readPublicKeyHex(keyFile);
  if (data !== undefined && !existsSync(join(resolve(data), 'PG_VERSION'))) {
    throw new UsageError(`--data: ${data} is not a PGlite data directory`);
  }
  const db: Db = data !== undefined ? await openPglite(data, ctx.logger) : await openPostgres(database!, ctx.logger, { max: 1 });
  let report: AuditVerifyReport;
  try {
    report = await verifySnapshot(db, key);
  } catch (e) {
    // 42P01 undefined_table: a store the center never migrated to the audit schema.
    if (e instanceof QueryError && e.sqlState === '42P01') {
      ctx.err('cardline audit verify: this store has no audit log (not a migrated center store)\n');
      return 1;
    }
    throw e;
  } finally {
    await db.close();
  }
  ctx.out(`audit log: ${report.entries} entries, ${report.checkpoints} checkpoints, signed head size ${report.headSize}\n`);
  if (report.ok) {
    ctx.out('verified: every leaf hash, checkpoint root, head root and signature checks out\n');
    return 0;
  }
  ctx.out(`TAMPERED: ${report.problems.length} problem line(s)\n${report.problems.map((p) => `  ${p}\n`).join('')}`);
  ctx.logger.warn('audit log verification failed', { entries: report.entries, problems: report.problems.length });
  return 1;
}

/** Largest key file read: 64 hex digits and a line end fit many times over. */
const MAX_KEY_FILE_BYTES = 256;

/** Reads a file of exactly 64 hex digits (a trailing newline allowed); never quotes its content in errors. */
async function readPublicKeyHex(path: string): Promise<Uint8Array> {
  let text: string;
  try {
    const fh = await open(path, 'r');
    try {
      const st = await fh.stat();
      if (!st.isFile()) throw new UsageError(`--center-key: ${path} is not a regular file`);
      if (st.size > MAX_KEY_FILE_BYTES) throw new UsageError(`--center-key: ${path} is too large for a key file (${st.size} bytes)`);
      text = await fh.readFile('utf8');
    } finally {
      await fh.close();
    }
  } catch (e) {
    if (e instanceof UsageError) throw e;
    throw new UsageError(`--center-key: cannot read ${path} (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  const hexText = text.trim();
  if (!/^[0-9a-fA-F]{64}$/.test(hexText)) {
    throw new UsageError(`--center-key: ${path} does not hold an Ed25519 public key (exactly 64 hex digits)`);
  }
  return Uint8Array.from(Buffer.from(hexText, 'hex'));
}

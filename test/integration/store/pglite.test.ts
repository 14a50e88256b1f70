/**
 * The store contract on PGlite in a fresh data directory, then the data
 * directory's lock on the same directory (a reopen is fast; a new directory
 * costs PGlite's initdb, seconds): a second open (this process or another
 * live one) is refused with LOCKED; a stale lock (dead pid) is replaced.
 */
import t from 'tap';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ed25519 } from '@noble/curves/ed25519.js';
import { MerkleAuditLog } from '../../../center/audit/audit-log.js';
import { openStore } from '../../../center/store/open.js';
import { LOCK_FILE } from '../../../center/store/lock-file.js';
import { FakeClock } from '../../../common/clock.js';
import { memoryLogger, silentLogger } from '../../../common/log.js';
import { auditVerify } from '../cli/audit-verify-run.js';
import { storeContract } from '../../contract/store.contract.js';

const dir = await mkdtemp(join(tmpdir(), 'cardline-pglite-'));
t.teardown(() => rm(dir, { recursive: true, force: true }));
const dataDir = join(dir, 'data');

storeContract('PGlite', { open: () => openStore({ dataDir }, silentLogger) });

void t.test('PGlite lock file', async (t) => {
  // Runs after the contract (tap runs top-level tests in order), which has closed dataDir.
  const lockDir = dataDir;
  const lock = join(lockDir, LOCK_FILE);
  const db = await openStore({ dataDir: lockDir }, silentLogger);
  t.equal((await readFile(lock, 'utf8')).trim(), String(process.pid), 'the lock holds our pid');
  await t.rejects(openStore({ dataDir: lockDir }, silentLogger), { code: 'LOCKED', message: new RegExp(`the center \\(pid ${process.pid}\\) holds this data directory`) });
  await db.close();
  await t.rejects(readFile(lock), { code: 'ENOENT' }, 'released on close');

  // A live process that is not us (our parent) holds it: refused.
  await writeFile(lock, `${process.ppid}\n`);
  await t.rejects(openStore({ dataDir: lockDir }, silentLogger), { code: 'LOCKED', message: new RegExp(`pid ${process.ppid}`) });

  // A dead pid: stale, replaced with a warning. (pid_max is at most 2^22 on Linux.)
  await writeFile(lock, '4194305\n');
  const logger = memoryLogger();
  const again = await openStore({ dataDir: lockDir }, logger);
  t.match(logger.lines.join(''), /replacing a stale lock file/);
  t.equal((await readFile(lock, 'utf8')).trim(), String(process.pid));
  await again.close();
});

void t.test('cardline audit verify --data on this directory', async (t) => {
  const sk = ed25519.utils.randomSecretKey();
  const keyFile = join(dir, 'signing.pub');
  await writeFile(keyFile, Buffer.from(ed25519.getPublicKey(sk)).toString('hex'));
  const db = await openStore({ dataDir }, silentLogger);
  // A log of our own (the contract's was signed by its own key).
  for (const table of ['audit_checkpoints', 'audit_head', 'audit_entries']) await db.query(`DELETE FROM ${table}`);
  const audit = new MerkleAuditLog({ signingKey: sk, clock: new FakeClock(Date.UTC(2025, 0, 1)), logger: silentLogger });
  await db.transaction(async (tx) => {
    for (let i = 0; i < 12; i++) await audit.append(tx, { kind: 'test.cli', detail: { i } });
  });
  const locked = await auditVerify(['--data', dataDir, '--center-key', keyFile]);
  t.equal(locked.code, 1, 'refused while the center holds the directory');
  t.match(locked.err, /LOCKED: the center \(pid \d+\) holds this data directory/);
  await db.close();
  const r = await auditVerify(['--data', dataDir, '--center-key', keyFile]);
  t.equal(r.code, 0, r.err);
  t.match(r.out, /12 entries, 0 checkpoints, signed head size 12/);
});

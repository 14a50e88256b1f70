/**
 * `cardline audit verify --database URL` against a private PostgreSQL: exit
 * 0 on an intact log, 1 with the problem line once an entry is edited or
 * the key is wrong, 1 on a store without an audit log, and 2 on bad
 * options or key files (never quoting the file). The --data (PGlite) path
 * runs in test/integration/store/pglite.test.ts, on the directory that
 * suite already paid initdb for.
 */
import t from 'tap';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ed25519 } from '@noble/curves/ed25519.js';
import { MerkleAuditLog } from '../../../center/audit/audit-log.js';
import { openStore } from '../../../center/store/open.js';
import { FakeClock } from '../../../common/clock.js';
import { silentLogger } from '../../../common/log.js';
import { startPostgres } from '../../fixtures/postgres-server.js';
import { auditVerify } from './audit-verify-run.js';

const server = await startPostgres(t);
const dir = await mkdtemp(join(tmpdir(), 'cardline-audit-cli-'));
t.teardown(() => rm(dir, { recursive: true, force: true }));

const sk = ed25519.utils.randomSecretKey();
const keyFile = join(dir, 'signing.pub');
await writeFile(keyFile, `${Buffer.from(ed25519.getPublicKey(sk)).toString('hex')}\n`);

const db = await openStore({ url: server.url }, silentLogger);
t.teardown(() => db.close());
const audit = new MerkleAuditLog({ signingKey: sk, clock: new FakeClock(Date.UTC(2025, 5, 1)), logger: silentLogger });
await db.transaction(async (tx) => {
  for (let i = 0; i < 30; i++) await audit.append(tx, { kind: 'test.cli', detail: { i } });
  await audit.checkpoint(tx);
});

void t.test('an intact log: exit 0 and a summary', async (t) => {
  const r = await auditVerify(['--database', server.url, '--center-key', keyFile]);
  t.equal(r.code, 0, r.err);
  t.match(r.out, /30 entries, 1 checkpoints, signed head size 30/);
  t.match(r.out, /verified/);
});

void t.test('an edited entry: exit 1 naming it; the wrong key: exit 1', async (t) => {
  await db.query(`UPDATE audit_entries SET entry = replace(entry, '"i":3', '"i":4') WHERE idx = 3`);
  const r = await auditVerify(['--database', server.url, '--center-key', keyFile]);
  t.equal(r.code, 1);
  t.match(r.out, /TAMPERED/);
  t.match(r.out, /entry 3: leaf hash does not match its text/);
  await db.query(`UPDATE audit_entries SET entry = replace(entry, '"i":4', '"i":3') WHERE idx = 3`);
  t.equal((await auditVerify(['--database', server.url, '--center-key', keyFile])).code, 0, 'restored');

  const other = join(dir, 'other.pub');
  await writeFile(other, Buffer.from(ed25519.getPublicKey(ed25519.utils.randomSecretKey())).toString('hex'));
  const w = await auditVerify(['--database', server.url, '--center-key', other]);
  t.equal(w.code, 1);
  t.match(w.out, /head: signature invalid/);
});

void t.test('a database without the audit tables: exit 1, said plainly', async (t) => {
  const empty = server.url.replace(/\/cardline$/, '/postgres');
  const r = await auditVerify(['--database', empty, '--center-key', keyFile]);
  t.equal(r.code, 1);
  t.match(r.err, /no audit log/);
});

void t.test('bad options and key files: exit 2, the file never quoted', async (t) => {
  const short = join(dir, 'short.pub');
  await writeFile(short, 'ab'.repeat(31) + 'f');
  const notHex = join(dir, 'nothex.pub');
  await writeFile(notHex, 'zz'.repeat(32));
  const missingDir = join(dir, 'no-such-dir');
  const cases: [string, string[], RegExp][] = [
    ['neither store', ['--center-key', keyFile], /exactly one of --data DIR and --database URL/],
    ['both stores', ['--data', dir, '--database', server.url, '--center-key', keyFile], /exactly one/],
    ['no key', ['--database', server.url], /--center-key FILE is required/],
    ['missing key file', ['--database', server.url, '--center-key', join(dir, 'absent.pub')], /cannot read .*ENOENT/],
    ['63 hex digits', ['--database', server.url, '--center-key', short], /exactly 64 hex digits/],
    ['not hex', ['--database', server.url, '--center-key', notHex], /exactly 64 hex digits/],
    ['a directory as key', ['--database', server.url, '--center-key', dir], /not a regular file/],
    ['no data directory', ['--data', missingDir, '--center-key', keyFile], /not a PGlite data directory/],
  ];
  for (const [what, args, msg] of cases) {
    const r = await auditVerify(args);
    t.equal(r.code, 2, what);
    t.match(r.err, msg, what);
    t.notMatch(r.err, /abab|zzzz/, `${what}: the key file's content is not echoed`);
  }
  t.notOk(existsSync(missingDir), 'verify did not create the data directory');
  const bad = await auditVerify(['--database', 'mysql://u:pw-secret@h/x', '--center-key', keyFile]);
  t.equal(bad.code, 1);
  t.match(bad.err, /OPEN_FAILED/);
  t.notMatch(bad.err, /pw-secret/);
});

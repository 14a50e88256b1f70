// Enrolment tokens over a real (PGlite) store with a fake clock: made once
// (only the hash kept, audited without the token), then taken once, within
// their lifetime, for their own kiosk only; each refusal says why (for the
// audit log) and changes nothing.
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { MerkleAuditLog } from '../../../center/audit/audit-log.js';
import { checkToken, createEnrolmentToken, takeToken } from '../../../center/enrol/tokens.js';
import { openStore } from '../../../center/store/open.js';
import { FakeClock } from '../../../common/clock.js';
import { silentLogger } from '../../../common/log.js';

const random = (n: number): Uint8Array => new Uint8Array(randomBytes(n));

void t.test('enrolment tokens', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'cardline-tokens-'));
  const db = await openStore({ dataDir: dir }, silentLogger);
  t.teardown(async () => {
    await db.close();
    await rm(dir, { recursive: true, force: true });
  });
  const clock = new FakeClock(Date.UTC(2025, 5, 1, 12));
  const audit = new MerkleAuditLog({ signingKey: random(32), clock, logger: silentLogger });
  const deps = { db, audit, clock, random };
  const now = (): Date => new Date(clock.now());
  const record = { csrSha256: new Uint8Array(32).fill(5), certificate: 'CERT', ca: 'CA' };
  const take = (token: string, kiosk: string): Promise<unknown> => db.transaction((tx) => takeToken(tx, token, kiosk, now(), record));
  const usedAt = async (token: string): Promise<Date | null | undefined> => {
    const hash = createHash('sha256').update(Buffer.from(token, 'base64url')).digest();
    return (await db.query<{ used_at: Date | null }>('SELECT used_at FROM enrolment_tokens WHERE token_hash = $1', [hash])).rows[0]?.used_at;
  };

  await t.test('made once: base64url of 32 bytes, only its hash kept, audited without it', async (t) => {
    const issued = await createEnrolmentToken(deps, { kiosk: 'kiosk-7', site: 'HND T3', createdBy: 'cli:test' });
    t.match(issued.token, /^[A-Za-z0-9_-]{43}$/);
    t.equal(issued.expiresAt.getTime(), clock.now() + 60 * 60_000, '60 minutes by default');
    const rows = await db.query<{ token_hash: Uint8Array; kiosk_id: string; site: string }>('SELECT token_hash, kiosk_id, site FROM enrolment_tokens');
    t.equal(rows.rows.length, 1);
    t.same(Buffer.from(rows.rows[0]!.token_hash), createHash('sha256').update(Buffer.from(issued.token, 'base64url')).digest(), 'SHA-256 of the 32 bytes');
    const entries = await db.query<{ entry: string }>('SELECT entry FROM audit_entries ORDER BY idx');
    const text = entries.rows.map((r) => r.entry).join('\n');
    t.match(text, /"kind":"enrol.token"/);
    t.match(text, /"site":"HND T3"/);
    t.notOk(text.includes(issued.token), 'the audit log does not hold the token');
    t.notOk(text.includes(Buffer.from(issued.token, 'base64url').toString('hex')), 'nor its bytes');
  });

  await t.test('bad input is refused before anything is stored', async (t) => {
    const before = (await db.query<{ n: number }>('SELECT count(*)::int AS n FROM enrolment_tokens')).rows[0]!.n;
    await t.rejects(createEnrolmentToken(deps, { kiosk: '../x', site: 's', createdBy: 'x' }), { code: 'KIOSK_INVALID', message: /kiosk id/ });
    await t.rejects(createEnrolmentToken(deps, { kiosk: 'cardline-center', site: 's', createdBy: 'x' }), { code: 'KIOSK_INVALID', message: /cardline-/ });
    await t.rejects(createEnrolmentToken(deps, { kiosk: 'k', site: '', createdBy: 'x' }), { code: 'KIOSK_INVALID', message: /site/ });
    await t.rejects(createEnrolmentToken(deps, { kiosk: 'k', site: 's', ttlMinutes: 1441, createdBy: 'x' }), { code: 'KIOSK_INVALID', message: /1\.\.1440/ });
    await t.rejects(createEnrolmentToken(deps, { kiosk: 'k', site: 's', ttlMinutes: 0, createdBy: 'x' }), { code: 'KIOSK_INVALID' });
    t.equal((await db.query<{ n: number }>('SELECT count(*)::int AS n FROM enrolment_tokens')).rows[0]!.n, before);
  });

  await t.test('taken once, by its kiosk, within its lifetime', async (t) => {
    const { token } = await createEnrolmentToken(deps, { kiosk: 'kiosk-1', site: 'site-a', ttlMinutes: 10, createdBy: 'x' });
    await t.rejects(take(token, 'kiosk-2'), { code: 'token-refused', reason: 'other-kiosk', status: 401 }, 'another kiosk');
    t.equal(await usedAt(token), null, 'still unused');
    t.equal((await checkToken(db, token, 'kiosk-1', now())).site, 'site-a', 'the check passes');
    t.equal(await usedAt(token), null, 'and does not consume it');
    clock.advance(9 * 60_000);
    const taken = (await take(token, 'kiosk-1')) as { id: string; site: string };
    t.equal(taken.site, 'site-a');
    t.match(taken.id, /^[0-9a-f]{16}$/);
    t.same(await usedAt(token), now(), 'marked used');
    await t.rejects(take(token, 'kiosk-1'), { code: 'token-refused', reason: 'used' }, 'a second use');
    await t.rejects(checkToken(db, token, 'kiosk-1', now()), { code: 'token-refused', reason: 'used' }, 'the check too');
  });

  await t.test('a used token keeps its record: the same CSR within the lifetime is to be answered again, nothing else', async (t) => {
    const { token } = await createEnrolmentToken(deps, { kiosk: 'kiosk-5', site: 'site-r', ttlMinutes: 10, createdBy: 'x' });
    t.same(await checkToken(db, token, 'kiosk-5', now(), record.csrSha256), { id: (await checkToken(db, token, 'kiosk-5', now())).id, site: 'site-r' }, 'unused: no resend');
    await take(token, 'kiosk-5');
    const again = await checkToken(db, token, 'kiosk-5', now(), new Uint8Array(32).fill(5));
    t.same(again.resend, record, 'the same CSR: the record, to answer again');
    t.equal(again.site, 'site-r');
    await t.rejects(checkToken(db, token, 'kiosk-5', now(), new Uint8Array(32).fill(6)), { code: 'token-refused', reason: 'used' }, 'another CSR');
    await t.rejects(checkToken(db, token, 'kiosk-5', now()), { code: 'token-refused', reason: 'used' }, 'no CSR');
    await t.rejects(checkToken(db, token, 'kiosk-6', now(), record.csrSha256), { code: 'token-refused', reason: 'other-kiosk' }, 'another kiosk');
    await t.rejects(take(token, 'kiosk-5'), { code: 'token-refused', reason: 'used' }, 'never taken twice');
    clock.advance(10 * 60_000);
    await t.rejects(checkToken(db, token, 'kiosk-5', now(), record.csrSha256), { code: 'token-refused', reason: 'used' }, 'not after its lifetime');
  });

  await t.test('expired at its end, and a rolled-back enrolment leaves it unused', async (t) => {
    const { token } = await createEnrolmentToken(deps, { kiosk: 'kiosk-3', site: 's', ttlMinutes: 5, createdBy: 'x' });
    await t.rejects(
      db.transaction(async (tx) => {
        await takeToken(tx, token, 'kiosk-3', now(), record);
        throw new Error('registration failed');
      }),
      /registration failed/,
    );
    t.equal(await usedAt(token), null, 'the failed enrolment did not use it');
    clock.advance(5 * 60_000);
    await t.rejects(take(token, 'kiosk-3'), { code: 'token-refused', reason: 'expired' }, 'expired exactly at its end');
    t.equal(await usedAt(token), null);
  });

  await t.test('unknown and malformed tokens', async (t) => {
    await t.rejects(take(Buffer.from(random(32)).toString('base64url'), 'kiosk-1'), { code: 'token-refused', reason: 'unknown' });
    await t.rejects(take('short', 'kiosk-1'), { code: 'token-refused', reason: 'unknown' });
  });
});

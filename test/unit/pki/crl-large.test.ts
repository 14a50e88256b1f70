/**
 * Large CRLs (provisioning/pki/crl-state.ts verifyCrl, common/crl-der.ts):
 * the issuing CA keeps revoking and re-signing past 1,250 entries (where
 * @peculiar/x509's parser stops at 10,000 ASN.1 nodes) up to MAX_REVOKED,
 * OpenSSL verifies what it signs, and the file bounds hold a full list.
 */
import t, { type Test } from 'tap';
import { spawnSync } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { FakeClock } from '../../../common/clock.js';
import { pemBlocks } from '../../../common/pem-blocks.js';
import { MAX_CRL_FILE_BYTES } from '../../../center/keys.js';
import { createCrl, loadCa } from '../../../provisioning/pki/ca.js';
import { MAX_STATE_BYTES, verifyCrl } from '../../../provisioning/pki/crl-state.js';
import { publishCrl, revokeSerials } from '../../../provisioning/pki/issuing.js';
import { pkiStatus } from '../../../provisioning/pki/status.js';
import { MAX_REVOKED, parseRevocationList, serializeRevocationList } from '../../../provisioning/pki/revocation-list.js';
import { devPki, noOpenssl, random, tmp } from './helpers.js';

const T0 = Date.UTC(2031, 4, 1, 12, 0, 0);

/** `n` distinct 16-byte serials, as the CA makes them (0x40 set in the first byte). */
function serials(n: number, from = 0): string[] {
  return Array.from({ length: n }, (_, i) => `4${(from + i).toString(16).padStart(31, '0')}`);
}

/** `openssl crl -verify -text` of the issuing CA's CRL in ca/crl.pem: its verdict (stderr) and entry count. */
async function opensslCrl(t: Test, crlFile: string, issuingCert: string): Promise<{ status: number | null; verdict: string; entries: number }> {
  const issuingCrl = join(await tmp(t), 'issuing.crl.pem');
  await writeFile(issuingCrl, pemBlocks(await readFile(crlFile, 'ascii'), 'X509 CRL')[1]!);
  const r = spawnSync('openssl', ['crl', '-in', issuingCrl, '-CAfile', issuingCert, '-verify', '-noout', '-text'], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  return { status: r.status, verdict: r.stderr.trim(), entries: (r.stdout.match(/Serial Number:/g) ?? []).length };
}

for (const n of [1300, MAX_REVOKED]) {
  void t.test(`${n} revocations: revokeSerials, more, and publishCrl({ force }) still work; OpenSSL verifies the CRL`, { skip: noOpenssl, timeout: 120_000 }, async (t) => {
    const clock = new FakeClock(T0);
    const layout = await devPki(t, { clock });
    const o = { random, clock };
    const first = await revokeSerials(layout.dir, serials(n - 1).map((serial) => ({ serial, reason: 'superseded' as const })), o);
    t.equal(first.added.length, n - 1);
    clock.advance(1000);
    const one = await revokeSerials(layout.dir, [{ serial: serials(1, n - 1)[0]!, reason: 'keyCompromise' }], o);
    t.equal(one.added.length, 1, 'a revocation after the list passed 1,250 entries');
    clock.advance(4 * 86_400_000);
    const p = await publishCrl(layout.dir, { ...o, force: true });
    t.equal(p.republished, true);
    t.equal(p.number, 4);
    const again = await publishCrl(layout.dir, o);
    t.equal(again.republished, false, 'the published CRL reads back');
    const checked = await opensslCrl(t, layout.ca.crl, layout.ca.issuingCert);
    t.equal(checked.status, 0);
    t.match(checked.verdict, /verify OK/);
    t.equal(checked.entries, n, 'every entry in the signed CRL');
    t.ok((await readFile(layout.ca.crl)).length <= MAX_CRL_FILE_BYTES, 'ca/crl.pem fits the center\'s bound');
    const status = await pkiStatus(layout.dir, clock);
    t.equal(status.issuingCrl.entries, n);
    t.equal(status.revokedLimit, MAX_REVOKED);
    if (n > 0.8 * MAX_REVOKED) t.match(status.warnings, [/lists 8000 of at most 8000/], 'pki status warns above 80 % of the limit');
    else t.same(status.warnings, [], 'no warning below 80 %');
    await t.rejects(revokeSerials(layout.dir, serials(MAX_REVOKED + 1 - n, n).map((serial) => ({ serial, reason: 'superseded' as const })), o), { code: 'INVALID_ARGUMENT', message: /more than 8000/ }, 'one past MAX_REVOKED is refused, not written');
  });
}

void t.test('10,000 entries of the longest kind (more than MAX_REVOKED): signed, read back, within the file bounds; a full revoked.json too', { timeout: 120_000 }, async (t) => {
  const clock = new FakeClock(T0);
  const layout = await devPki(t, { clock });
  const longest = Array.from({ length: 10_000 }, (_, i) => ({
    serial: `7f${i.toString(16).padStart(38, '0')}`,
    date: new Date(T0).toISOString(),
    reason: 'cessationOfOperation' as const,
    notAfter: new Date(T0).toISOString(),
  }));
  const ca = await loadCa(await readFile(layout.ca.issuingCert, 'ascii'), await readFile(layout.ca.issuingKey, 'ascii'));
  const pem = await createCrl(ca, longest.map((e) => ({ serial: e.serial, date: new Date(e.date), reason: e.reason })), { clock, days: 7, number: Number.MAX_SAFE_INTEGER });
  const info = verifyCrl(ca.cert, pem, 'big');
  t.equal(info.serials.length, 10_000);
  t.equal(info.number, Number.MAX_SAFE_INTEGER);
  t.equal(info.serials[9999], longest[9999]!.serial);
  const file = Buffer.byteLength(await readFile(layout.ca.rootCrl, 'ascii')) + Buffer.byteLength(pem);
  t.ok(file <= MAX_CRL_FILE_BYTES && file <= MAX_STATE_BYTES, `ca/crl.pem with 10,000 20-byte serials: ${file} bytes ≤ ${Math.min(MAX_CRL_FILE_BYTES, MAX_STATE_BYTES)}`);

  const text = serializeRevocationList({ v: 1, crlNumber: Number.MAX_SAFE_INTEGER, revoked: longest.slice(0, MAX_REVOKED) });
  t.ok(Buffer.byteLength(text) <= MAX_STATE_BYTES, `revoked.json of ${MAX_REVOKED} such entries: ${Buffer.byteLength(text)} bytes ≤ ${MAX_STATE_BYTES}`);
  t.equal(parseRevocationList(text, 'x').revoked.length, MAX_REVOKED);
});

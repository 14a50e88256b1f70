/**
 * The fleet CA commands through the real dispatcher in this process
 * (test/fixtures/cli-run.ts), for the many cases a process per case would
 * make slow: --help of each, every usage error (exit 2, nothing written),
 * refusals (exit 1 with the code), the text summaries, and `pki status`
 * exiting 1 once a CRL has expired (a clock moved past nextUpdate).
 * The real-process run of each command: pki-fleet.test.ts.
 */
import t from 'tap';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pkiFleetCommands } from '../../../cli/commands/pki-fleet.js';
import { FakeClock } from '../../../common/clock.js';
import { runCommands } from '../../fixtures/cli-run.js';

const DAY = 86_400_000;
const base = await mkdtemp(join(tmpdir(), 'cardline-pki-input-'));
t.teardown(() => rm(base, { recursive: true, force: true }));
const commands = pkiFleetCommands();
const ROOT = join(base, 'root');
const DIR = join(base, 'site');
const cli = (args: string[], clock = new FakeClock(Date.now())): ReturnType<typeof runCommands> => runCommands(args, commands, { clock });

void t.test('--help of every command: exit 0, its usage line and exit codes', async (t) => {
  for (const c of commands) {
    const r = await cli([...c.path, '--help']);
    t.equal(r.code, 0, c.path.join(' '));
    t.match(r.out, new RegExp(`Usage: cardline ${c.path.join(' ')}`));
    t.match(r.out, /Exit codes: 0/);
    t.match(r.out, /--json/);
  }
  const group = await cli(['pki', 'root']);
  t.match(group.out, /pki root init[\s\S]*pki root crl/);
});

void t.test('usage errors: exit 2 and nothing written', async (t) => {
  const dir = join(base, 'usage');
  for (const args of [
    ['pki', 'root', 'init'],
    ['pki', 'root', 'init', dir, '--days', '0'],
    ['pki', 'root', 'init', dir, '--days', 'ten'],
    ['pki', 'root', 'init', dir, '--days', '99999'],
    ['pki', 'root', 'init', dir, '--name', 'bad/name'],
    ['pki', 'root', 'init', dir, '--bogus'],
    ['pki', 'root', 'init', dir, 'extra'],
    ['pki', 'root', 'crl', dir],
    ['pki', 'root', 'crl', dir, '--out', join(dir, 'x.pem'), '--revoke-issuing', 'zz'],
    ['pki', 'root', 'crl', dir, '--out', join(dir, 'x.pem'), '--reason', 'bored'],
    ['pki', 'issuing', 'init', dir],
    ['pki', 'issuing', 'init', '--root', dir],
    ['pki', 'issuing', 'init', '--root', dir, dir, '--days', '-1'],
    ['pki', 'crl'],
    ['pki', 'crl', '--pki', dir, 'extra'],
    ['pki', 'revoke', '--pki', dir],
    ['pki', 'revoke', '--serial', 'ab'],
    ['pki', 'revoke', '--pki', dir, '--serial', '00'],
    ['pki', 'revoke', '--pki', dir, '--serial', 'ab'.repeat(21)],
    ['pki', 'revoke', '--pki', dir, '--serial', 'ab', '--reason', 'unspecified'],
    ['pki', 'status'],
  ]) {
    const r = await cli(args);
    t.equal(r.code, 2, args.slice(1).join(' '));
    t.match(r.err, /Run 'cardline pki/);
  }
  t.same(await readdir(base), [], 'nothing created');
});

void t.test('refusals: exit 1 with the error code (text on stderr, --json on stdout)', async (t) => {
  const nowhere = join(base, 'nowhere');
  for (const args of [
    ['pki', 'root', 'crl', nowhere, '--out', join(base, 'x.pem')],
    ['pki', 'issuing', 'init', '--root', nowhere, join(base, 'site-x')],
    ['pki', 'crl', '--pki', nowhere],
    ['pki', 'revoke', '--pki', nowhere, '--serial', 'ab'],
    ['pki', 'status', '--pki', nowhere],
  ]) {
    const r = await cli(args);
    t.equal(r.code, 1, args.slice(1, 3).join(' '));
    t.match(r.err, /^cardline pki: NOT_FOUND: /);
    const j = await cli([...args, '--json']);
    t.equal(j.code, 1);
    t.match(JSON.parse(j.out), { ok: false, error: { code: 'NOT_FOUND', message: String } });
  }
});

void t.test('text summaries; an issuing CA may not outlive its root; status exits 1 once a CRL expired', async (t) => {
  const clock = new FakeClock(Date.now());
  const root = await cli(['pki', 'root', 'init', ROOT, '--name', 'Test Root', '--days', '400'], clock);
  t.equal(root.code, 0, root.err);
  t.match(root.out, /^root CA created in .*\nroot {4}.*root\.crt {2}SHA-256 [0-9A-F:]{95} {2}until /);
  t.match(root.out, /keep this directory offline/);
  const tooLong = await cli(['pki', 'issuing', 'init', '--root', ROOT, DIR, '--days', '401'], clock);
  t.equal(tooLong.code, 2, 'outliving the root is a usage error');
  t.match(tooLong.err, /outlive the root/);
  t.same((await readdir(join(DIR, 'ca')).catch(() => [])).filter((f) => !f.startsWith('.')), [], 'nothing left in DIR/ca');
  const issuing = await cli(['pki', 'issuing', 'init', '--root', ROOT, DIR, '--days', '300'], clock);
  t.equal(issuing.code, 0, issuing.err);
  t.match(issuing.out, /issuing CA created in[\s\S]*anchor {2}.*ca\.crt \(the root\)/);

  const ok = await cli(['pki', 'status', '--pki', DIR], clock);
  t.equal(ok.code, 0, ok.err);
  t.match(ok.out, /^root {5}O=Cardline, CN=Test Root {2}serial [0-9a-f]+ {2}until /);
  t.match(ok.out, /issuing CRL number 1, 0 entries, next update /);
  t.notMatch(ok.out, /EXPIRED|due for re-signing/);

  clock.advance(4 * DAY);
  const due = await cli(['pki', 'status', '--pki', DIR], clock);
  t.equal(due.code, 0);
  t.match(due.out, /issuing CRL number 1, .*\(due for re-signing\)/);

  clock.advance(4 * DAY);
  const expired = await cli(['pki', 'status', '--pki', DIR, '--json'], clock);
  t.equal(expired.code, 1, 'the issuing CRL has expired: every client would be locked out');
  t.match(JSON.parse(expired.out), { ok: false, status: { issuingCrl: { expired: true }, rootCrl: { expired: false }, expired: true } });
  const text = await cli(['pki', 'status', '--pki', DIR], clock);
  t.equal(text.code, 1);
  t.match(text.out, /issuing CRL number 1, .*EXPIRED/);

  const published = await cli(['pki', 'crl', '--pki', DIR], clock);
  t.equal(published.code, 0);
  t.match(published.out, /^CRL number 2 published in .*crl\.pem, next update /);
  t.equal((await cli(['pki', 'status', '--pki', DIR], clock)).code, 0, 'valid again once re-signed');
  const nothing = await cli(['pki', 'crl', '--pki', DIR], clock);
  t.match(nothing.out, /^CRL number 2 is current .*; nothing to do/);
});

void t.test('pki status reports a revoked.json that lost entries (exit 1 STATE_INVALID), and pki revoke with it refuses', async (t) => {
  const root = join(base, 'root-2');
  const dir = join(base, 'site-2');
  t.equal((await cli(['pki', 'root', 'init', root])).code, 0);
  t.equal((await cli(['pki', 'issuing', 'init', '--root', root, dir])).code, 0);
  const revoked = await cli(['pki', 'revoke', '--pki', dir, '--serial', '4a:bc:de', '--json']);
  t.match(JSON.parse(revoked.out), { ok: true, serial: '4abcde', reason: 'privilegeWithdrawn', added: true });
  await writeFile(join(dir, 'ca', 'revoked.json'), JSON.stringify({ v: 1, crlNumber: 2, revoked: [] }));
  const status = await cli(['pki', 'status', '--pki', dir, '--json']);
  t.equal(status.code, 1);
  t.match(JSON.parse(status.out), { ok: false, error: { code: 'STATE_INVALID', message: /lacks 1 serial/ } });
  const again = await cli(['pki', 'revoke', '--pki', dir, '--serial', '4abcdf']);
  t.equal(again.code, 1);
  t.match(again.err, /^cardline pki: STATE_INVALID: /);
});

/**
 * The fleet CA commands as an operator runs them, each a real `cardline`
 * process (test/fixtures/process-rig.ts): pki root init → pki issuing init
 * → pki status → pki revoke → pki crl → pki root crl (revoking an issuing
 * CA) → pki crl, with the --json shapes of docs/provisioning.md §7, the
 * exit codes (0, 1 refused, 2 usage, 3 lock held), and never a private key
 * on stdout or stderr. Many more bad inputs: pki-fleet-input.test.ts.
 */
import t, { type Test as Tap } from 'tap';
import { X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pemBlocks } from '../../../common/pem-blocks.js';
import { spawnCardline } from '../../fixtures/process-rig.js';

const base = await mkdtemp(join(tmpdir(), 'cardline-pki-fleet-'));
t.teardown(() => rm(base, { recursive: true, force: true }));
const ROOT = join(base, 'root');
const DIR = join(base, 'site');

interface Ran {
  code: number | null;
  out: string;
  err: string;
}

async function cardline(args: string[], ms = 60_000): Promise<Ran> {
  const p = spawnCardline(`cardline ${args.slice(0, 3).join(' ')}`, args, { logLevel: 'warn' });
  p.endInput();
  const exit = await p.waitExit(ms, 'its end');
  return { code: exit.code, out: p.out.join('\n'), err: p.err.join('\n') };
}

/** The one JSON object a --json run prints (matched field by field by the tests). */
const json = (r: Ran): unknown => JSON.parse(r.out);

/** The base64 body lines of every private key written so far: none may be printed. */
async function keyLines(): Promise<string[]> {
  const out: string[] = [];
  for (const f of [join(ROOT, 'root.key'), join(DIR, 'ca', 'issuing.key')]) {
    try {
      out.push(...(await readFile(f, 'ascii')).split('\n').filter((l) => /^[A-Za-z0-9+/=]{20,}$/.test(l)));
    } catch {
      // Not written yet.
    }
  }
  return out;
}

async function noKeyIn(t: Tap, r: Ran): Promise<void> {
  for (const l of await keyLines()) t.notOk(r.out.includes(l) || r.err.includes(l), 'no private key printed');
}


void t.test('the whole ceremony, one process per step', async (t) => {
  await t.test('pki root init ROOTDIR --json', async (t) => {
    const r = await cardline(['pki', 'root', 'init', ROOT, '--days', '3650', '--json']);
    t.equal(r.code, 0, r.err);
    const j = json(r) as { ok: boolean; root: { path: string; key: string; sha256: string; subject: string; notAfter: string }; crl: { path: string } };
    t.equal(j.ok, true);
    t.equal(j.root.path, join(ROOT, 'root.crt'));
    t.equal(j.root.key, join(ROOT, 'root.key'), 'the path of the key, not the key');
    t.equal(j.root.sha256, new X509Certificate(await readFile(j.root.path)).fingerprint256);
    t.equal(j.root.subject, 'O=Cardline, CN=Cardline root CA');
    t.equal((await stat(j.root.key)).mode & 0o777, 0o600);
    t.equal(pemBlocks(await readFile(j.crl.path, 'ascii'), 'X509 CRL').length, 1);
    await noKeyIn(t, r);
  });

  await t.test('pki root init again: exit 1 EXISTS, nothing changed', async (t) => {
    const before = await readFile(join(ROOT, 'root.key'));
    const r = await cardline(['pki', 'root', 'init', ROOT]);
    t.equal(r.code, 1);
    t.match(r.err, /^cardline pki: EXISTS: .*already holds a root CA/);
    t.same(await readFile(join(ROOT, 'root.key')), before);
  });

  await t.test('pki issuing init --root ROOTDIR DIR --json', async (t) => {
    const r = await cardline(['pki', 'issuing', 'init', '--root', ROOT, DIR, '--json']);
    t.equal(r.code, 0, r.err);
    const j = json(r) as { ok: boolean; issuing: { path: string; key: string; sha256: string; serial: string }; anchor: { path: string; sha256: string }; crl: { path: string } };
    t.equal(j.ok, true);
    t.equal(j.issuing.path, join(DIR, 'ca', 'issuing.crt'));
    t.equal(j.issuing.key, join(DIR, 'ca', 'issuing.key'));
    t.equal((await stat(j.issuing.key)).mode & 0o777, 0o600);
    t.equal(await readFile(j.anchor.path, 'ascii'), await readFile(join(ROOT, 'root.crt'), 'ascii'), 'ca/ca.crt is the root');
    const issuing = new X509Certificate(await readFile(j.issuing.path));
    t.ok(issuing.verify(new X509Certificate(await readFile(j.anchor.path)).publicKey), 'signed by the root');
    t.equal(j.issuing.serial, issuing.serialNumber.toLowerCase());
    t.equal(pemBlocks(await readFile(j.crl.path, 'ascii'), 'X509 CRL').length, 2, 'crl.pem: root CRL and issuing CRL');
    await noKeyIn(t, r);
  });

  await t.test('pki issuing init on a DIR that has one: exit 1 EXISTS; --json says so on stdout', async (t) => {
    const r = await cardline(['pki', 'issuing', 'init', '--root', ROOT, DIR, '--json']);
    t.equal(r.code, 1);
    t.match(json(r), { ok: false, error: { code: 'EXISTS', message: /already holds a CA/ } });
  });

  await t.test('pki status --pki DIR --json', async (t) => {
    const r = await cardline(['pki', 'status', '--pki', DIR, '--json']);
    t.equal(r.code, 0, r.err);
    t.match(json(r), {
      ok: true,
      status: {
        root: { subject: /CN=Cardline root CA/, expired: false },
        issuing: { subject: /CN=Cardline issuing CA/, expired: false },
        rootCrl: { number: 1, entries: 0, expired: false },
        issuingCrl: { number: 1, entries: 0, expired: false, dueForResign: false },
        revoked: 0,
        unpublished: false,
        expired: false,
      },
    });
  });

  const serial = '4bcdef0123456789abcdef0123456789';
  await t.test('pki revoke --serial: on the CRL; again: nothing changes (exit 0)', async (t) => {
    const r = await cardline(['pki', 'revoke', '--pki', DIR, '--serial', serial.toUpperCase(), '--reason', 'keyCompromise', '--json']);
    t.equal(r.code, 0, r.err);
    t.same(json(r), { ok: true, serial, reason: 'keyCompromise', added: true, path: join(DIR, 'ca', 'crl.pem') });
    const again = await cardline(['pki', 'revoke', '--pki', DIR, '--serial', serial]);
    t.equal(again.code, 0, again.err);
    t.match(again.out, /was already revoked; nothing changed/);
    const status = json(await cardline(['pki', 'status', '--pki', DIR, '--json'])) as { status: { issuingCrl: { number: number; entries: number }; revoked: number } };
    t.match(status.status, { issuingCrl: { number: 2, entries: 1 }, revoked: 1 });
  });

  await t.test('pki crl: nothing due; --force re-signs', async (t) => {
    const r = await cardline(['pki', 'crl', '--pki', DIR, '--json']);
    t.equal(r.code, 0, r.err);
    t.match(json(r), { ok: true, republished: false, number: 2, path: join(DIR, 'ca', 'crl.pem') });
    const f = await cardline(['pki', 'crl', '--pki', DIR, '--force']);
    t.equal(f.code, 0, f.err);
    t.match(f.out, /CRL number 3 published/);
  });

  await t.test('pki root crl --revoke-issuing, copied to the site, then pki crl republishes', async (t) => {
    const issuingSerial = new X509Certificate(await readFile(join(DIR, 'ca', 'issuing.crt'))).serialNumber;
    const out = join(base, 'root-crl-2.pem');
    const r = await cardline(['pki', 'root', 'crl', ROOT, '--out', out, '--revoke-issuing', issuingSerial, '--json']);
    t.equal(r.code, 0, r.err);
    t.match(json(r), { ok: true, crl: { out, number: 2 }, added: [issuingSerial.toLowerCase()] });
    t.equal(await readFile(out, 'ascii'), await readFile(join(ROOT, 'root-crl.pem'), 'ascii'), 'the same CRL in ROOTDIR and --out');
    await writeFile(join(DIR, 'ca', 'root-crl.pem'), await readFile(out));
    const p = await cardline(['pki', 'crl', '--pki', DIR, '--json']);
    t.match(json(p), { ok: true, republished: true });
    const status = json(await cardline(['pki', 'status', '--pki', DIR, '--json'])) as { status: { rootCrl: { number: number; entries: number } } };
    t.match(status.status.rootCrl, { number: 2, entries: 1 });
  });
});

void t.test('refusals through the real process: exit 1 with the code, 2 for usage, 3 when the lock is held', async (t) => {
  const missing = await cardline(['pki', 'crl', '--pki', join(base, 'nowhere'), '--json']);
  t.equal(missing.code, 1);
  t.match(json(missing), { ok: false, error: { code: 'NOT_FOUND' } });
  const badSerial = await cardline(['pki', 'revoke', '--pki', DIR, '--serial', 'not-hex']);
  t.equal(badSerial.code, 2);
  t.match(badSerial.err, /--serial: serial must be hex/);
  const noOut = await cardline(['pki', 'root', 'crl', ROOT]);
  t.equal(noOut.code, 2);
  t.match(noOut.err, /--out is required/);

  const good = await readFile(join(DIR, 'ca', 'revoked.json'), 'utf8');
  await writeFile(join(DIR, 'ca', 'revoked.json'), JSON.stringify({ v: 1, crlNumber: 4, revoked: [] }));
  const tampered = await cardline(['pki', 'crl', '--pki', DIR, '--force', '--json']);
  t.equal(tampered.code, 1);
  t.match(json(tampered), { ok: false, error: { code: 'STATE_INVALID', message: /lacks 1 serial/ } });
  await writeFile(join(DIR, 'ca', 'revoked.json'), good);

  // A writer that is alive (this test process) holds the CA's lock: the command waits, then asks to retry.
  const lock = join(DIR, 'ca', 'revoked.json.lock');
  await writeFile(lock, JSON.stringify({ pid: process.pid, host: hostname(), at: Date.now(), token: 'test' }));
  t.teardown(() => rm(lock, { force: true }));
  const busy = await cardline(['pki', 'revoke', '--pki', DIR, '--serial', '77', '--json']);
  t.equal(busy.code, 3, 'exit 3: retry later');
  t.match(json(busy), { ok: false, error: { code: 'BUSY' } });
  await rm(lock);
  t.equal((await cardline(['pki', 'revoke', '--pki', DIR, '--serial', '77'])).code, 0, 'then it goes through');
});

/**
 * `cardline kiosk enrol` through the CLI's dispatcher against a real center
 * and its enrolment endpoint (real HTTPS, PGlite, the two-tier dev PKI):
 * the enrolled identity then works unchanged with the kiosk agent — mutual
 * TLS to the broker with the enrolled certificate, READY, a card issued.
 * And each way it can fail leaves nothing behind: a refused token, an
 * unreachable center, an untrusted center, a token file open to others, an
 * identity that already exists.
 */
import { createPrivateKey, randomBytes, X509Certificate } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { COMMANDS } from '../../../cli/commands/index.js';
import { FakeClock, systemClock } from '../../../common/clock.js';
import { startKiosk } from '../../../kiosk/agent.js';
import { decodeKioskConfig } from '../../../kiosk/config.js';
import { loadIdentity } from '../../../kiosk/identity.js';
import { initDevPki } from '../../../provisioning/pki/dev-pki.js';
import { SealedFileStore, sealDevKiosk } from '../../../kiosk/keystore/index.js';
import { runCommands } from '../../fixtures/cli-run.js';
import { freePort } from '../../fixtures/process-rig.js';
import { random } from '../../fixtures/rig.js';
import { startEnrolRig } from './enrol-rig.js';

void t.test('kiosk enrol', async (t) => {
  const e = await startEnrolRig(t);
  const root = await mkdtemp(join(tmpdir(), 'cardline-enrol-'));
  t.teardown(() => rm(root, { recursive: true, force: true }));
  const caFile = join(e.rig.dir, 'pki', 'ca', 'ca.crt');
  const machineSecret = join(root, 'machine-secret');
  await writeFile(machineSecret, `${randomBytes(32).toString('hex')}\n`, { mode: 0o600 });
  const tokenFile = async (kiosk: string, token?: string, mode = 0o600): Promise<string> => {
    const f = join(root, `token-${kiosk}-${randomBytes(3).toString('hex')}`);
    await writeFile(f, `${token ?? (await e.token(kiosk, 'HND T3'))}\n`, { mode });
    return f;
  };
  const enrol = (kiosk: string, identity: string, tokenPath: string, extra: string[] = []) =>
    runCommands(
      ['kiosk', 'enrol', '--center', e.server.url.replace('127.0.0.1', 'localhost'), '--ca', caFile, '--kiosk', kiosk, '--token-file', tokenPath, '--identity', identity, '--key-store', 'sealed-file', '--machine-secret', machineSecret, '--scrypt-log-n', '14', '--json', ...extra],
      COMMANDS,
      { clock: new FakeClock(Date.now()) },
    );
  /** Nothing half-enrolled: the directory is gone, or empty. */
  const nothingLeft = async (t: { same(a: unknown, b: unknown, m: string): void }, dir: string): Promise<void> => {
    t.same(await readdir(dir).catch(() => []), [], 'nothing left in the identity directory');
  };

  const identity = join(root, 'kiosk-n');
  await t.test('enrols: exit 0, the identity written, the kiosk registered', async (t) => {
    const token = await e.token('kiosk-n', 'HND T3');
    const r = await enrol('kiosk-n', identity, await tokenFile('kiosk-n', token));
    t.equal(r.code, 0, r.err || r.out);
    const out = JSON.parse(r.out) as { ok: boolean; kioskId: string; certificate: { fingerprint: string }; keyStore: { kind: string } };
    t.match(out, { ok: true, kioskId: 'kiosk-n', keyStore: { kind: 'sealed-file' } });
    t.same((await readdir(identity)).sort(), ['ca.crt', 'center-signing.pub', 'keys.sealed', 'registry.json', 'sealing.pub', 'signing.pub', 'tls.crt']);
    t.equal((await stat(join(identity, 'keys.sealed'))).mode & 0o777, 0o600, 'the store is private');
    t.equal((await readFile(join(identity, 'ca.crt'), 'utf8')).trim(), e.rig.ca.trim(), 'ca.crt is the root');
    t.match(await readFile(join(identity, 'tls.crt'), 'utf8'), /(-----BEGIN CERTIFICATE-----[\s\S]+){2}/, 'tls.crt: the leaf and the issuing CA');
    const id = await loadIdentity(identity, 'kiosk-n');
    t.same(Buffer.from(id.centerPublicKey), Buffer.from(e.rig.center.deps.keys.signingPublic), 'the center key');
    const row = await e.rig.center.deps.db.query<{ cert_fingerprint: string; site: string }>('SELECT cert_fingerprint, site FROM kiosks WHERE id = $1', ['kiosk-n']);
    t.same(row.rows[0], { cert_fingerprint: out.certificate.fingerprint, site: 'HND T3' });
    t.notOk(r.out.includes(token) || r.err.includes(token) || r.logs.includes(token), 'the token is not in the output or the logs');
    t.ok((await e.usedAt(token)) instanceof Date);
  });

  await t.test('the enrolled identity works: mutual TLS, READY, a card issued', async (t) => {
    const stationDir = join(root, 'station-n');
    const station = await e.station('kiosk-n', stationDir, 'CA4E0001');
    const agent = await startKiosk({
      config: decodeKioskConfig({ identityDir: identity, keyStore: { kind: 'sealed-file', machineSecretFile: machineSecret }, brokerUrl: e.rig.center.url, station: stationDir }),
      station,
      clock: systemClock,
      logger: e.rig.logs.kiosk('kiosk-n'),
      random,
      events: () => undefined,
    });
    t.teardown(() => agent.stop());
    await agent.ready;
    const [app] = await e.rig.addApps(1);
    t.match(await agent.request(app!.id, app!.code), { outcome: 'issued' }, 'a card issued by the enrolled kiosk');
  });

  await t.test('a second enrolment into the same directory: EXISTS, nothing touched', async (t) => {
    const before = await readFile(join(identity, 'keys.sealed'));
    const r = await enrol('kiosk-n', identity, await tokenFile('kiosk-n'));
    t.equal(r.code, 1);
    t.match(JSON.parse(r.out), { ok: false, error: { code: 'EXISTS' } });
    t.same(await readFile(join(identity, 'keys.sealed')), before, 'the store unchanged');
  });

  await t.test("the center refuses the token: exit 1 with the center's code, nothing left", async (t) => {
    const dir = join(root, 'kiosk-r');
    const r = await enrol('kiosk-r', dir, await tokenFile('kiosk-r', Buffer.alloc(32, 9).toString('base64url')));
    t.equal(r.code, 1);
    t.match(JSON.parse(r.out), { ok: false, error: { code: 'token-refused' } });
    await nothingLeft(t, dir);
    t.equal(await e.kioskCount('kiosk-r'), 0);
  });

  await t.test('an existing kiosk ID: 409 kiosk-exists, nothing left, the token unused', async (t) => {
    const dir = join(root, 'kiosk-n-again');
    const token = await e.token('kiosk-n');
    const r = await enrol('kiosk-n', dir, await tokenFile('kiosk-n', token));
    t.equal(r.code, 1);
    t.match(JSON.parse(r.out), { error: { code: 'kiosk-exists' } });
    await nothingLeft(t, dir);
    t.equal(await e.usedAt(token), null);
  });

  await t.test('the answer refused after the center committed (a clock 10 min behind): keys kept; the same command again enrols with them', async (t) => {
    const dir = join(root, 'kiosk-l');
    const token = await e.token('kiosk-l');
    const file = await tokenFile('kiosk-l', token);
    const behind = await runCommands(
      ['kiosk', 'enrol', '--center', e.server.url.replace('127.0.0.1', 'localhost'), '--ca', caFile, '--kiosk', 'kiosk-l', '--token-file', file, '--identity', dir, '--key-store', 'sealed-file', '--machine-secret', machineSecret, '--scrypt-log-n', '14', '--json'],
      COMMANDS,
      { clock: new FakeClock(Date.now() - 10 * 60_000) },
    );
    t.equal(behind.code, 1, behind.err);
    t.match(JSON.parse(behind.out), { ok: false, error: { code: 'ANSWER_INVALID', message: /the certificate is valid from .* only.*kept in .*enrol\.pending.*run the same command again, with the same token/ } });
    t.ok((await e.usedAt(token)) instanceof Date, 'the center committed: the token is used');
    t.same((await readdir(dir)).sort(), ['enrol.pending', 'keys.sealed'], 'the store and the public marker kept, nothing else');
    const store = await readFile(join(dir, 'keys.sealed'));
    const marker = JSON.parse(await readFile(join(dir, 'enrol.pending'), 'utf8')) as { signingPublicKey: string; csr: string };

    const from = (await e.rig.audit()).length;
    const again = await enrol('kiosk-l', dir, file);
    t.equal(again.code, 0, again.err || again.out);
    const out = JSON.parse(again.out) as { signingPublicKey: string; certificate: { fingerprint: string } };
    t.equal(out.signingPublicKey, marker.signingPublicKey, 'the same keys');
    t.same(await readFile(join(dir, 'keys.sealed')), store, 'the store kept as it was');
    t.same((await readdir(dir)).sort(), ['ca.crt', 'center-signing.pub', 'keys.sealed', 'registry.json', 'sealing.pub', 'signing.pub', 'tls.crt'], 'enrolled; the marker gone');
    const secrets = await new SealedFileStore({ file: join(dir, 'keys.sealed'), machineSecretFile: machineSecret }).unseal();
    const key = createPrivateKey({ key: Buffer.from(secrets.tls.pem), format: 'pem' });
    secrets.dispose();
    t.ok(new X509Certificate(await readFile(join(dir, 'tls.crt'), 'utf8')).checkPrivateKey(key), "tls.crt is the kept store's TLS key");
    const row = await e.rig.center.deps.db.query<{ cert_fingerprint: string }>('SELECT cert_fingerprint FROM kiosks WHERE id = $1', ['kiosk-l']);
    t.equal(row.rows[0]?.cert_fingerprint, out.certificate.fingerprint, 'the certificate the center registered');
    const resent = await e.rig.waitForAudit((r) => r.kind === 'kiosk.enrol-resent' && r.kiosk === 'kiosk-l', 'kiosk.enrol-resent', { from });
    t.match(resent.detail, { fingerprint: out.certificate.fingerprint, token: /^[0-9a-f]{16}$/ });

    const other = await e.post(await e.request('kiosk-l', token));
    t.match(other, { status: 401, json: { error: 'token-refused' } }, 'a different CSR with the used token is still refused');
  });

  await t.test('a pending enrolment is reused only for its own kiosk, with its store complete', async (t) => {
    const dir = join(root, 'kiosk-p');
    const token = await e.token('kiosk-p');
    const behind = await runCommands(
      ['kiosk', 'enrol', '--center', e.server.url.replace('127.0.0.1', 'localhost'), '--ca', caFile, '--kiosk', 'kiosk-p', '--token-file', await tokenFile('kiosk-p', token), '--identity', dir, '--key-store', 'sealed-file', '--machine-secret', machineSecret, '--scrypt-log-n', '14', '--json'],
      COMMANDS,
      { clock: new FakeClock(Date.now() - 10 * 60_000) },
    );
    t.equal(behind.code, 1);
    const other = await enrol('kiosk-q', dir, await tokenFile('kiosk-q'));
    t.match(JSON.parse(other.out), { ok: false, error: { code: 'EXISTS', message: /pending enrolment of kiosk kiosk-p/ } });
    await rm(join(dir, 'keys.sealed'));
    const broken = await enrol('kiosk-p', dir, await tokenFile('kiosk-p', token));
    t.match(JSON.parse(broken.out), { ok: false, error: { code: 'EXISTS', message: /key store is incomplete/ } });
    t.same(await readdir(dir), ['enrol.pending'], 'nothing touched');
    const wipe = await runCommands(['kiosk', 'wipe', '--identity', dir, '--yes', '--json'], COMMANDS);
    t.same(JSON.parse(wipe.out), { ok: true, removed: ['pending-enrolment'], failed: [] }, 'the wipe takes the marker too');
    t.same(await readdir(dir), []);
  });

  await t.test('the center unreachable: exit 3, nothing left, the token still good', async (t) => {
    const dir = join(root, 'kiosk-u');
    const token = await e.token('kiosk-u');
    const port = await freePort();
    const r = await runCommands(['kiosk', 'enrol', '--center', `https://127.0.0.1:${port}`, '--ca', caFile, '--kiosk', 'kiosk-u', '--token-file', await tokenFile('kiosk-u', token), '--identity', dir, '--key-store', 'sealed-file', '--machine-secret', machineSecret, '--scrypt-log-n', '14'], COMMANDS, { clock: new FakeClock(Date.now()) });
    t.equal(r.code, 3, r.err);
    t.match(r.err, /UNREACHABLE: the enrolment endpoint is unreachable \(ECONNREFUSED\)/);
    await nothingLeft(t, dir);
    t.equal(await e.usedAt(token), null, 'retry later with the same token');
    const again = await enrol('kiosk-u', dir, await tokenFile('kiosk-u', token));
    t.equal(again.code, 0, 'and it works once the center is there');
  });

  await t.test('a center that does not chain to --ca: CENTER_UNTRUSTED, nothing sent', async (t) => {
    const other = join(root, 'other-pki');
    await initDevPki(other, { kiosks: [], random, clock: systemClock, sealKiosk: sealDevKiosk });
    const dir = join(root, 'kiosk-t');
    const token = await e.token('kiosk-t');
    const r = await enrol('kiosk-t', dir, await tokenFile('kiosk-t', token), ['--ca', join(other, 'ca', 'ca.crt')]);
    t.equal(r.code, 1);
    t.match(JSON.parse(r.out), { error: { code: 'CENTER_UNTRUSTED' } });
    await nothingLeft(t, dir);
    t.equal(await e.usedAt(token), null);
  });

  await t.test('a token file open to others is refused before anything is made', async (t) => {
    const dir = join(root, 'kiosk-o');
    const r = await enrol('kiosk-o', dir, await tokenFile('kiosk-o', undefined, 0o644));
    t.equal(r.code, 1);
    t.match(JSON.parse(r.out), { error: { code: 'TOKEN_FILE_INVALID', message: /mode 0644/ } });
    await nothingLeft(t, dir);
  });

  await t.test('usage (exit 2): --key-store is required, options of the other store refused, a bad --center, --kiosk or --ca', async (t) => {
    const base = ['kiosk', 'enrol', '--center', e.server.url, '--ca', caFile, '--kiosk', 'k', '--token-file', 'f', '--identity', join(root, 'u')];
    t.equal((await runCommands(base, COMMANDS)).code, 2);
    t.equal((await runCommands([...base, '--key-store', 'tpm', '--machine-secret', machineSecret], COMMANDS)).code, 2);
    const sealed = ['--key-store', 'sealed-file', '--machine-secret', machineSecret];
    const bad = async (flag: string, value: string, message: RegExp): Promise<void> => {
      const args = [...base];
      args[args.indexOf(flag) + 1] = value;
      const r = await runCommands([...args, ...sealed], COMMANDS);
      t.equal(r.code, 2, `a bad ${flag} is a usage error`);
      t.match(r.err, message);
    };
    await bad('--center', 'http://127.0.0.1:1', /--center must be https:\/\/HOST:PORT/);
    await bad('--center', 'https://127.0.0.1:1/path', /no path/);
    await bad('--kiosk', '../k', /--kiosk: 1\.\.64/);
    await bad('--ca', join(root, 'no-such-ca.crt'), /--ca: .*no such file/);
    await writeFile(join(root, 'not-a-ca.crt'), '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n');
    await bad('--ca', join(root, 'not-a-ca.crt'), /--ca: .*not an X\.509 certificate/);
    await nothingLeft(t, join(root, 'u'));
  });
});

/** The console's pure parts: roles, the Host names it answers to, the loopback test, `--console` decoding and its TLS files, CSRF comparison. */
import t from 'tap';
import { allows, isRole } from '../../../center/console/roles.js';
import { allowedHosts, isLoopback } from '../../../center/console/server.js';
import { csrfMatches } from '../../../center/console/sessions.js';
import { CONSOLE_ERROR_STATUS, ConsoleError } from '../../../center/console/errors.js';
import { toConsoleError } from '../../../center/console/error-map.js';
import { HTTP_GUARD_STATUS, HttpGuardError } from '../../../common/http-guard.js';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { consoleOptions, consoleTls } from '../../../cli/commands/center.js';

void t.test('roles include the ones below them', (t) => {
  t.ok(allows('admin', 'operator') && allows('admin', 'viewer') && allows('operator', 'viewer') && allows('viewer', 'viewer'));
  t.notOk(allows('viewer', 'operator'));
  t.notOk(allows('operator', 'admin'));
  t.notOk(isRole('root'));
  t.end();
});

void t.test('allowed Host values', (t) => {
  t.same([...allowedHosts('127.0.0.1', 8080, false)].sort(), ['127.0.0.1:8080', '[::1]:8080', 'localhost:8080']);
  t.same([...allowedHosts('10.1.2.3', 443, true, 'Console.Example.org')].sort(), ['10.1.2.3', '10.1.2.3:443', 'console.example.org', 'console.example.org:443']);
  t.ok(isLoopback('127.0.0.1') && isLoopback('127.5.0.1') && isLoopback('::1') && isLoopback('localhost'));
  t.notOk(isLoopback('0.0.0.0') || isLoopback('10.0.0.1') || isLoopback('127.0.0.1.evil'));
  t.end();
});

void t.test('--console [HOST:]PORT', (t) => {
  t.same(consoleOptions({ console: '8080' }), { host: '127.0.0.1', port: 8080 });
  t.same(consoleOptions({ console: '[::1]:0' }), { host: '::1', port: 0 });
  t.same(consoleOptions({ console: '0.0.0.0:8443', 'console-cert': 'c', 'console-key': 'k' }), { host: '0.0.0.0', port: 8443 });
  t.equal(consoleOptions({}), undefined);
  t.throws(() => consoleOptions({ console: '0.0.0.0:8443' }), { code: 'USAGE' });
  t.throws(() => consoleOptions({ console: '0.0.0.0:8443', 'console-cert': 'c' }), { code: 'USAGE' });
  t.throws(() => consoleOptions({ console: '70000' }), { code: 'USAGE' });
  t.throws(() => consoleOptions({ 'console-cert': 'c' }), { code: 'USAGE' }, 'TLS options need --console');
  t.end();
});

void t.test('CSRF comparison and error statuses, the common rules refusals mapped', (t) => {
  t.ok(csrfMatches('abc', 'abc'));
  t.notOk(csrfMatches(undefined, 'abc'));
  t.notOk(csrfMatches('abd', 'abc'));
  t.notOk(csrfMatches('ab', 'abc'));
  t.equal(new ConsoleError('host-refused', 'x').status, 421);
  t.notOk('locked' in CONSOLE_ERROR_STATUS, 'a locked account is not told apart: 401 bad-credentials');
  t.equal(CONSOLE_ERROR_STATUS['bad-credentials'], 401);
  for (const [code, status] of Object.entries(HTTP_GUARD_STATUS)) {
    const guard = new HttpGuardError(code as keyof typeof HTTP_GUARD_STATUS, 'm');
    t.match(toConsoleError(guard), { name: 'ConsoleError', code, status, message: 'm' }, `${code}: the common rules' refusal, same code and status`);
    t.equal(CONSOLE_ERROR_STATUS[code as keyof typeof HTTP_GUARD_STATUS], status);
  }
  t.end();
});

void t.test('--console-key is a secret: a key file open to group or others is refused, naming the file and its mode', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'console-tls-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const cert = join(dir, 'console.crt');
  const key = join(dir, 'console.key');
  const keyText = '-----BEGIN PRIVATE KEY-----\nTk9UQUtFWQ==\n-----END PRIVATE KEY-----\n';
  await writeFile(cert, '-----BEGIN CERTIFICATE-----\nTk9UQUNFUlQ=\n-----END CERTIFICATE-----\n', { mode: 0o644 });
  await writeFile(key, keyText, { mode: 0o644 });
  await chmod(key, 0o644);
  const opts = { console: '0.0.0.0:8443', 'console-cert': cert, 'console-key': key };
  await t.rejects(consoleTls(opts), { code: 'CONFIG_INVALID', message: /--console-key: .*console\.key: mode 0644 lets group or others at a secret \(chmod 600\)/ });
  await chmod(key, 0o600);
  t.same(await consoleTls(opts), { cert: '-----BEGIN CERTIFICATE-----\nTk9UQUNFUlQ=\n-----END CERTIFICATE-----\n', key: keyText }, 'mode 0600: read (the certificate may be world-readable)');
  await writeFile(join(dir, 'empty.key'), 'not pem', { mode: 0o600 });
  await t.rejects(consoleTls({ ...opts, 'console-key': join(dir, 'empty.key') }), { code: 'CONFIG_INVALID', message: /no PEM block/ });
  await t.rejects(consoleTls({ ...opts, 'console-key': join(dir, 'missing.key') }), { code: 'CONFIG_INVALID', message: /no such file/ });
});

/** The site-broker generator (center/broker/mosquitto/): what it writes and every input it refuses, with its code. */
import t, { type Test } from 'tap';
import { DEFAULT_LIMITS } from '../../../center/deps.js';
import { DEFAULT_MAX_KIOSKS, dynsecState, mosquittoConf, queuedMessagesFor, MosquittoConfigError, siteBrokerFiles, type MosquittoConfOptions } from '../../../center/broker/mosquitto/index.js';

const base: MosquittoConfOptions = {
  host: '127.0.0.1',
  port: 8883,
  cafile: '/pki/ca/ca.crt',
  certfile: '/pki/broker/tls.crt',
  keyfile: '/pki/broker/tls.key',
  crlfile: '/pki/ca/crl.pem',
  dynsecFile: '/etc/b/dynamic-security.json',
  persistenceDir: '/var/lib/b',
  user: 'mosquitto',
  pidFile: '/run/b.pid',
  logFile: '/var/log/b.log',
};

const refuses = (t: Test, fn: () => unknown, code: string, what: string): void => {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  t.ok(caught instanceof MosquittoConfigError && caught.code === code, `${what}: ${code}`);
};

void t.test('mosquitto.conf: the listener, TLS and plugin lines', (t) => {
  const lines = mosquittoConf(base).split('\n');
  for (const l of ['listener 8883 127.0.0.1', 'require_certificate true', 'use_identity_as_username true', 'crlfile /pki/ca/crl.pem', 'tls_version tlsv1.2', 'allow_anonymous false', 'plugin_opt_config_file /etc/b/dynamic-security.json', 'persistence_location /var/lib/b']) {
    t.ok(lines.includes(l), l);
  }
  t.notOk(lines.includes('log_type debug'), 'no debug log unless asked');
  t.ok(mosquittoConf({ ...base, debugLog: true }).split('\n').includes('log_type debug'));
  t.end();
});

void t.test('mosquitto.conf refuses values that would split or add a directive', (t) => {
  refuses(t, () => mosquittoConf({ ...base, port: 0 }), 'INVALID_PORT', 'port 0');
  refuses(t, () => mosquittoConf({ ...base, port: 65536 }), 'INVALID_PORT', 'port 65536');
  refuses(t, () => mosquittoConf({ ...base, host: '127.0.0.1\nallow_anonymous true' }), 'INVALID_HOST', 'a newline in the host');
  refuses(t, () => mosquittoConf({ ...base, user: 'root nobody' }), 'INVALID_USER', 'a space in the user');
  refuses(t, () => mosquittoConf({ ...base, keyfile: 'relative/tls.key' }), 'INVALID_PATH', 'a relative path');
  refuses(t, () => mosquittoConf({ ...base, crlfile: '/pki/my crl.pem' }), 'INVALID_PATH', 'a space in a path');
  refuses(t, () => mosquittoConf({ ...base, logFile: '/x\nallow_anonymous true' }), 'INVALID_PATH', 'a newline in a path');
  refuses(t, () => mosquittoConf({ ...base, maxQueuedMessages: 0 }), 'INVALID_LIMIT', 'an unbounded queue');
  t.end();
});

void t.test('dynsec: nothing by default, the center role, one role per kiosk with its own topics only', (t) => {
  const s = dynsecState({ centerUsername: 'cardline-center', kiosks: ['kiosk-2', 'kiosk-1'] });
  t.same(s.defaultACLAccess, { publishClientSend: false, publishClientReceive: false, subscribe: false, unsubscribe: false });
  t.same(s.clients.map((c) => c.username), ['cardline-center', 'kiosk-1', 'kiosk-2']);
  t.notOk(s.clients.some((c) => 'password' in c), 'no passwords: the certificate is the identity');
  const k1 = s.roles.find((r) => r.rolename === 'kiosk-kiosk-1');
  t.same(k1?.acls.map((a) => `${a.acltype} ${a.topic}`).sort(), [
    'publishClientReceive kiosk/kiosk-1/down',
    'publishClientSend kiosk/kiosk-1/state',
    'publishClientSend kiosk/kiosk-1/up',
    'subscribeLiteral kiosk/kiosk-1/down',
    'unsubscribeLiteral kiosk/kiosk-1/down',
  ]);
  const center = s.roles.find((r) => r.rolename === 'cardline-center');
  t.ok(center?.acls.some((a) => a.acltype === 'subscribeLiteral' && a.topic === '$share/center/kiosk/+/up'));
  t.notOk(center?.acls.some((a) => a.topic === '#'), 'the center has no catch-all');
  t.end();
});

void t.test('dynsec refuses invalid and duplicate names', (t) => {
  refuses(t, () => dynsecState({ centerUsername: 'cardline-center', kiosks: ['kiosk/+'] }), 'INVALID_KIOSK_ID', 'a kiosk ID with topic characters');
  refuses(t, () => dynsecState({ centerUsername: 'cardline-center', kiosks: ['cardline-center-2'] }), 'INVALID_KIOSK_ID', 'a reserved service name');
  refuses(t, () => dynsecState({ centerUsername: 'cardline-center', kiosks: ['kiosk-1', 'kiosk-1'] }), 'DUPLICATE_CLIENT', 'a kiosk twice');
  refuses(t, () => dynsecState({ centerUsername: 'center/#', kiosks: [] }), 'INVALID_CENTER_NAME', 'wildcards in the center CN');
  t.end();
});

void t.test('siteBrokerFiles: the PKI layout of docs/pki.md', (t) => {
  const f = siteBrokerFiles({ pkiDir: '/srv/pki', outDir: '/etc/cardline-broker', centerUsername: 'cardline-center', kiosks: ['kiosk-1'] });
  const lines = f.conf.split('\n');
  for (const l of ['cafile /srv/pki/ca/ca.crt', 'certfile /srv/pki/broker/tls.crt', 'keyfile /srv/pki/broker/tls.key', 'crlfile /srv/pki/ca/crl.pem', 'user mosquitto', 'listener 8883 127.0.0.1', 'persistence_location /etc/cardline-broker/data']) {
    t.ok(lines.includes(l), l);
  }
  t.equal(f.paths.dynsec, '/etc/cardline-broker/dynamic-security.json');
  t.end();
});

/** The lines of one `listener` section: from its `listener` line to the next blank line. */
function section(conf: string, listener: string): string[] {
  const lines = conf.split('\n');
  const from = lines.indexOf(listener);
  if (from < 0) return [];
  const to = lines.indexOf('', from);
  return lines.slice(from, to < 0 ? undefined : to);
}

void t.test('two listeners: kiosks get their CN as client ID, the center listener (workers share one CN) does not', (t) => {
  const conf = mosquittoConf({ ...base, host: '0.0.0.0', centerHost: '127.0.0.1', centerPort: 9000 });
  const kiosk = section(conf, 'listener 8883 0.0.0.0');
  const center = section(conf, 'listener 9000 127.0.0.1');
  const tls = ['require_certificate true', 'use_identity_as_username true', 'cafile /pki/ca/ca.crt', 'certfile /pki/broker/tls.crt', 'keyfile /pki/broker/tls.key', 'crlfile /pki/ca/crl.pem', 'tls_version tlsv1.2'];
  for (const l of tls) {
    t.ok(kiosk.includes(l), `kiosk listener: ${l}`);
    t.ok(center.includes(l), `center listener: ${l}`);
  }
  t.ok(kiosk.includes('use_username_as_clientid true'), 'kiosk listener: the client ID is the username (the certificate CN)');
  t.notOk(center.some((l) => l.startsWith('use_username_as_clientid')), 'center listener: workers name their own client IDs');
  t.equal(conf.split('\n').filter((l) => l.startsWith('listener ')).length, 2, 'exactly two listeners');
  refuses(t, () => mosquittoConf({ ...base, centerPort: 8883 }), 'INVALID_PORT', 'the center listener on the kiosk port');
  refuses(t, () => mosquittoConf({ ...base, centerHost: '127.0.0.1 x' }), 'INVALID_HOST', 'a space in the center host');
  t.end();
});

void t.test('siteBrokerFiles: the center listener defaults to 127.0.0.1 and the kiosk port + 1', (t) => {
  const f = siteBrokerFiles({ pkiDir: '/srv/pki', outDir: '/etc/b', host: '0.0.0.0', port: 8883, centerUsername: 'cardline-center', kiosks: [] });
  t.ok(f.conf.split('\n').includes('listener 8884 127.0.0.1'));
  t.same(f.listeners, { kiosk: { host: '0.0.0.0', port: 8883 }, center: { host: '127.0.0.1', port: 8884 } });
  refuses(t, () => siteBrokerFiles({ pkiDir: '/srv/pki', outDir: '/etc/b', port: 65535, centerUsername: 'cardline-center', kiosks: [] }), 'INVALID_PORT', 'port 65535 leaves no default center port');
  t.end();
});

void t.test("queues: a stalled worker's backlog (2 up per kiosk, lockstep) and every retained state fit, so mosquitto drops nothing", (t) => {
  const line = (conf: string, key: string): string | undefined => conf.split('\n').find((l) => l.startsWith(`${key} `));
  const site = (o: { maxKiosks?: number; maxQueuedMessages?: number } = {}): string => siteBrokerFiles({ pkiDir: '/p', outDir: '/o', centerUsername: 'cardline-center', kiosks: [], ...o }).conf;
  t.equal(queuedMessagesFor(100), 400, '3 per kiosk (2 up messages in lockstep, 1 retained state) + 100');
  t.equal(line(site(), 'max_queued_messages'), `max_queued_messages ${queuedMessagesFor(DEFAULT_MAX_KIOSKS)}`, 'the default fleet size');
  t.ok(DEFAULT_MAX_KIOSKS >= 10_000, 'a generous default');
  t.equal(line(site({ maxKiosks: 5000 }), 'max_queued_messages'), 'max_queued_messages 15100');
  t.equal(line(site({ maxQueuedMessages: 7 }), 'max_queued_messages'), 'max_queued_messages 7', 'an explicit bound wins');
  t.equal(line(site(), 'max_queued_bytes'), 'max_queued_bytes 0', 'no byte bound that would drop first');
  t.equal(line(site(), 'max_inflight_messages'), `max_inflight_messages ${DEFAULT_LIMITS.maxInFlight}`, "the broker's window is the center's maxInFlight, so the center's gate is what holds");
  refuses(t, () => site({ maxKiosks: 0 }), 'INVALID_LIMIT', 'no kiosks');
  t.end();
});

void t.test("dynsec: the center may publish a kicked kiosk's retained offline state", (t) => {
  const center = dynsecState({ centerUsername: 'cardline-center', kiosks: [] }).roles.find((r) => r.rolename === 'cardline-center');
  t.ok(center?.acls.some((a) => a.acltype === 'publishClientSend' && a.topic === 'kiosk/+/state' && a.allow));
  t.end();
});

/** The site-broker generator (center/broker/mosquitto/): what it writes and every input it refuses, with its code. */
import t, { type Test } from 'tap';
import { dynsecState, mosquittoConf, MosquittoConfigError, siteBrokerFiles, type MosquittoConfOptions } from '../../../center/broker/mosquitto/index.js';

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
  for (const l of ['listener 8883 127.0.0.1', 'require_certificate true', 'use_identity_as_username true', 'crlfile /pki/ca/crl.pem', 'tls_version tlsv1.2', 'allow_anonymous false', 'plugin_opt_config_file /etc/b/dynamic-security.json', 'persistence_location /var/lib/b', 'max_queued_messages 1000']) {
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

/**
 * The `keyStore` config key (kiosk/config.ts): defaults, each kind's keys,
 * CONFIG_INVALID naming the key; openKeyStore resolving the defaults
 * against the identity directory; the CLI flags (cli/commands/keystore-options.ts);
 * and the TLS context built from key bytes (kiosk/keystore/tls-context.ts):
 * the bytes zeroized, a key that is not the certificate's refused, a TSS2 key
 * without the tpm2 provider refused with the way to fix it.
 */
import t from 'tap';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { memoryLogger } from '../../../common/log.js';
import { keyStoreOf } from '../../../cli/commands/keystore-options.js';
import { decodeKeyStoreConfig, decodeKioskConfig } from '../../../kiosk/config.js';
import { buildSecureContext, openDevKioskSecrets, openKeyStore } from '../../../kiosk/keystore/index.js';
import { pki } from './wire-center.js';

const base = { identityDir: '/id', brokerUrl: 'mqtts://127.0.0.1:8883', station: '/st' };

void t.test('keyStore: defaults per kind, and invalid values name their key', (t) => {
  t.same(decodeKioskConfig(base).keyStore, { kind: 'sealed-file', machineSecretFile: '/etc/cardline/machine-secret' });
  t.same(decodeKioskConfig({ ...base, keyStore: { kind: 'tpm' } }).keyStore, { kind: 'tpm', tcti: 'tabrmd:bus_type=system', pcrs: 'sha256:0,1,2,3,7' });
  t.same(decodeKeyStoreConfig({ kind: 'tpm', dir: '/d', tcti: 'swtpm:host=127.0.0.1,port=2321', pcrs: 'sha1:0+sha256:0,7' }), { kind: 'tpm', dir: '/d', tcti: 'swtpm:host=127.0.0.1,port=2321', pcrs: 'sha1:0+sha256:0,7' });
  const bad: [unknown, RegExp][] = [
    [{ kind: 'hsm' }, /'keyStore.kind'/],
    [{ kind: 'tpm', tcti: 'http://x' }, /'keyStore.tcti'/],
    [{ kind: 'tpm', pcrs: 'sha256:24' }, /'keyStore.pcrs': PCR indexes are 0\.\.23/],
    [{ kind: 'tpm', pcrs: 'sha256:1,1' }, /'keyStore.pcrs': a PCR given twice/],
    [{ kind: 'tpm', pcrs: 'md5:1' }, /'keyStore.pcrs': unknown PCR bank/],
    [{ kind: 'tpm', pcrs: 'sha256:0+sha256:1' }, /bank sha256 given twice/],
    [{ kind: 'tpm', pcrs: '0,1,2' }, /'keyStore.pcrs'/],
    [{ kind: 'sealed-file', machineSecretFile: '' }, /'keyStore.machineSecretFile'/],
    [{ kind: 'sealed-file', tcti: 'device:/dev/tpmrm0' }, /'keyStore.tcti'/],
  ];
  for (const [keyStore, message] of bad) {
    t.throws(() => decodeKioskConfig({ ...base, keyStore }), { code: 'CONFIG_INVALID', message }, JSON.stringify(keyStore));
    t.throws(() => decodeKeyStoreConfig(keyStore), { code: 'CONFIG_INVALID', message });
  }
  t.end();
});

void t.test('openKeyStore resolves the paths against the identity directory', (t) => {
  const logger = memoryLogger();
  const sealed = openKeyStore({ identityDir: '/id', keyStore: { kind: 'sealed-file', machineSecretFile: '/etc/ms' } }, { logger });
  t.equal(sealed.kind, 'sealed-file');
  t.equal(sealed.describe(), 'sealed file /id/keys.sealed (machine secret /etc/ms)');
  t.equal(openKeyStore({ identityDir: '/id', keyStore: { kind: 'sealed-file', file: '/k', machineSecretFile: '/m' } }, { logger }).describe(), 'sealed file /k (machine secret /m)');
  const tpm = openKeyStore({ identityDir: '/id', keyStore: { kind: 'tpm', tcti: 'device:/dev/tpmrm0', pcrs: 'sha256:7' } }, { logger });
  t.equal(tpm.kind, 'tpm');
  t.equal(tpm.describe(), 'TPM device:/dev/tpmrm0, sealed object in /id/tpm (PCR policy sha256:7)');
  t.end();
});

void t.test('CLI flags: the kind and its own flags; a flag of the other kind is a usage error', (t) => {
  t.same(keyStoreOf({}), { kind: 'sealed-file' });
  t.same(keyStoreOf({ 'machine-secret': '/m', 'key-file': '/k' }), { kind: 'sealed-file', machineSecretFile: '/m', file: '/k' });
  t.same(keyStoreOf({ 'key-store': 'tpm', 'tpm-tcti': 'device:/dev/tpmrm0', 'tpm-pcrs': 'sha256:7', 'tpm-dir': '/d' }), { kind: 'tpm', tcti: 'device:/dev/tpmrm0', pcrs: 'sha256:7', dir: '/d' });
  t.same(keyStoreOf({ kind: 'tpm' }, 'kind'), { kind: 'tpm' });
  t.throws(() => keyStoreOf({ 'key-store': 'tpm', 'machine-secret': '/m' }), { code: 'USAGE', message: '--machine-secret is for --key-store sealed-file' });
  t.throws(() => keyStoreOf({ 'tpm-pcrs': 'sha256:7' }), { code: 'USAGE', message: '--tpm-pcrs is for --key-store tpm' });
  t.throws(() => keyStoreOf({ 'key-store': 'file' }), { code: 'USAGE' });
  t.end();
});

void t.test('the TLS context: built from the key bytes, which are zeroized; another key or a TSS2 key without the provider refused', async (t) => {
  const p = await pki(t);
  const cert = await readFile(join(p.kioskDir, 'tls.crt'), 'utf8');
  const ca = await readFile(join(p.kioskDir, 'ca.crt'), 'utf8');
  const s = await openDevKioskSecrets({ keyStore: join(p.kioskDir, 'keys.sealed'), machineSecret: p.machineSecret });
  const ctx = buildSecureContext(s.tls, cert, ca);
  t.ok(ctx.context, 'an OpenSSL context');
  t.ok(s.tls.pem.every((b) => b === 0), 'the PEM bytes are zeroized once OpenSSL has the key');
  s.dispose();

  const broker = { kind: 'pem' as const, pem: new Uint8Array(await readFile(join(p.dir, 'broker', 'tls.key'))) };
  t.throws(() => buildSecureContext(broker, cert, ca), { code: 'INVALID', message: /not the key of the identity's tls\.crt/ });
  t.ok(broker.pem.every((b) => b === 0), 'zeroized on failure too');
  const tss2 = { kind: 'tpm2' as const, pem: new TextEncoder().encode('-----BEGIN TSS2 PRIVATE KEY-----\nMIHwBgZngQUKAQOgAwEBAQIEQAAAAQ==\n-----END TSS2 PRIVATE KEY-----\n') };
  t.throws(() => buildSecureContext(tss2, cert, ca), { code: 'TPM_UNAVAILABLE', message: /--openssl-config=kiosk\/keystore\/openssl-tpm2\.cnf/ }, 'this process has no tpm2 provider');
  t.throws(() => buildSecureContext({ kind: 'pem', pem: new TextEncoder().encode('-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n') }, cert, ca), { code: 'INVALID', message: /cannot read/ });
});

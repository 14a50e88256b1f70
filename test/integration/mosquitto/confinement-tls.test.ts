/**
 * The TLS gate of the site broker (Mosquitto 2.0.11, generated config) and
 * `cardline broker config` itself.
 *
 * Mosquitto 2.0.11 logs every refused handshake the same way ("OpenSSL
 * Error[0]: …certificate verify failed", then "Client <unknown>
 * disconnected: Protocol error."): the specific reason reaches the client
 * as the TLS alert OpenSSL sends (unknown CA 48, certificate expired 45,
 * certificate revoked 44). The tests assert both.
 */
import t from 'tap';
import { randomBytes, X509Certificate } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { issueCertificate, pemJoin } from '../../../provisioning/pki/ca.js';
import { loadIssuingCa } from '../../../provisioning/pki/issuing.js';
import { exportPkcs8Pem, newP256KeyPair } from '../../../provisioning/pki/tls-keys.js';
import { freePort } from '../../fixtures/process-rig.js';
import { mosquittoChild, TLS_REFUSED_LOG } from '../../fixtures/mosquitto.js';
import { credsOf, type Creds } from '../../fixtures/mqtt-clients.js';
import { attemptAs, broker, cardline, connectAs, makeSite, subscribeCode } from './confinement-site.js';

const DAY = 86_400_000;
const random = (n: number): Uint8Array => new Uint8Array(randomBytes(n));

void t.test('the TLS gate: another CA, an expired certificate, a revoked one after SIGHUP', async (t) => {
  const site = await makeSite(t);
  const foreign = await makeSite(t, { kiosks: ['kiosk-1'], registered: [] });
  const m = await broker(t, site);
  const refused = async (creds: Creds, alert: string, what: string): Promise<void> => {
    const from = (await m.log()).length;
    const a = await attemptAs(m, site, creds, 'kiosk-1');
    t.equal(a.connected, false, `${what}: no CONNACK`);
    t.equal(a.error?.code, alert, `${what}: the client sees ${alert}`);
    await m.waitForLog(TLS_REFUSED_LOG, 5000, from);
  };

  await refused(await credsOf(foreign.pki, 'kiosk-1'), 'ERR_SSL_TLSV1_ALERT_UNKNOWN_CA', 'a kiosk certificate of another PKI');

  const issuing = await loadIssuingCa(site.pki.dir);
  const kp = await newP256KeyPair();
  const old = await issueCertificate({ ca: issuing.ca, subject: { cn: 'kiosk-1', ou: 'kiosk' }, profile: 'client', days: 1, publicKey: kp.publicKey, random, notBefore: new Date(Date.now() - 10 * DAY) });
  await refused({ cert: pemJoin(old.pem, issuing.chainPem), key: await exportPkcs8Pem(kp.privateKey) }, 'ERR_SSL_SSLV3_ALERT_CERTIFICATE_EXPIRED', 'an expired certificate of the right CA');

  // A valid kiosk gets through: mosquitto found the issuing CA's CRL, the second block of ca/crl.pem (CRL checking fails closed without it).
  const serial = new X509Certificate(await readFile(site.pki.kiosks['kiosk-2']!.cert)).serialNumber;
  await cardline(['pki', 'revoke', '--pki', site.pki.dir, '--serial', serial]);
  const before = await attemptAs(m, site, await credsOf(site.pki, 'kiosk-2'), 'kiosk-2');
  t.equal(before.connected, true, 'before SIGHUP mosquitto still has the old CRL');
  // Connected after the probe: on the kiosk listener the probe's client ID is kiosk-2 too (use_username_as_clientid) and would replace it.
  const connected = await connectAs(t, m, site, 'kiosk-2');
  let closed = false;
  connected.on('close', () => (closed = true));
  await m.sighup();
  await refused(await credsOf(site.pki, 'kiosk-2'), 'ERR_SSL_SSLV3_ALERT_CERTIFICATE_REVOKED', 'a certificate on ca/crl.pem after SIGHUP');
  t.equal(closed, false, 'SIGHUP does not drop the revoked kiosk that is already connected (DESIGN §8): dynsec disableClient must');
  t.equal((await attemptAs(m, site, await credsOf(site.pki, 'kiosk-1'), 'kiosk-1')).connected, true, 'kiosk-1 still connects');
});

void t.test('broker config: the files it writes, and mosquitto running on them', async (t) => {
  const site = await makeSite(t);
  await cardline(['center', 'kiosks', 'revoke', '--kiosk', 'kiosk-2', '--reason', 'test', ...site.storeArgs]);
  const out = join(site.root, 'broker');
  const port = await freePort();
  const centerPort = await freePort();
  const user = process.getuid?.() === 0 ? 'root' : (process.env.USER ?? 'root');
  const json = JSON.parse(await cardline(['broker', 'config', ...site.storeArgs, '--out', out, '--port', String(port), '--center-port', String(centerPort), '--user', user, '--json'])) as Record<string, unknown>;
  t.same(json.kiosks, ['kiosk-1'], 'only the active kiosk (kiosk-2 was revoked, kiosk-3 never registered)');
  t.equal(json.center, 'cardline-center', 'the CN pki init gives the center certificate');
  t.equal((await stat(join(out, 'mosquitto.conf'))).mode & 0o777, 0o644);
  t.equal((await stat(join(out, 'dynamic-security.json'))).mode & 0o777, 0o600);
  const conf = await readFile(join(out, 'mosquitto.conf'), 'utf8');
  t.same(json.listeners, { kiosk: { host: '127.0.0.1', port }, center: { host: '127.0.0.1', port: centerPort } });
  for (const line of [`listener ${port} 127.0.0.1`, `listener ${centerPort} 127.0.0.1`, 'use_username_as_clientid true', 'require_certificate true', 'use_identity_as_username true', `cafile ${site.pki.ca.cert}`, `keyfile ${site.pki.broker.key}`, `crlfile ${site.pki.ca.crl}`, 'tls_version tlsv1.2', 'allow_anonymous false', 'per_listener_settings false', `user ${user}`]) {
    t.ok(conf.split('\n').includes(line), `mosquitto.conf has: ${line}`);
  }
  const dynsec = JSON.parse(await readFile(join(out, 'dynamic-security.json'), 'utf8')) as { clients: { username: string }[]; defaultACLAccess: Record<string, boolean> };
  t.same(dynsec.clients.map((c) => c.username), ['cardline-center', 'kiosk-1']);
  t.same(Object.values(dynsec.defaultACLAccess), [false, false, false, false], 'default access: nothing');

  const child = mosquittoChild(join(out, 'mosquitto.conf'), join(out, 'mosquitto.log'));
  t.teardown(child.stop);
  await child.start();
  t.equal((await readFile(join(out, 'mosquitto.pid'), 'utf8')).trim(), String(child.pid), 'mosquitto wrote its pid file');
  const m = { url: `mqtts://127.0.0.1:${port}` };
  const kiosk1 = await connectAs(t, m, site, 'kiosk-1');
  t.equal(await subscribeCode(kiosk1, 'kiosk/kiosk-1/down'), 1, 'the active kiosk has its role');
  const kiosk3 = await connectAs(t, m, site, 'kiosk-3');
  t.equal(await subscribeCode(kiosk3, 'kiosk/kiosk-3/down'), 0x80, 'a kiosk not in the registry has none');
  const center = await connectAs(t, { url: `mqtts://127.0.0.1:${centerPort}` }, site, 'center', 'cardline-center-w1-1');
  t.equal(await subscribeCode(center, '$share/center/kiosk/+/up'), 1, 'the center connects to its own listener and has its role');
  const revoked = await attemptAs(m, site, await credsOf(site.pki, 'kiosk-2'), 'kiosk-2');
  t.equal(revoked.error?.code, 'ERR_SSL_SSLV3_ALERT_CERTIFICATE_REVOKED', "the revoked kiosk is refused at TLS: `center kiosks revoke` put its certificate on ca/crl.pem");
  t.match(await child.log(), TLS_REFUSED_LOG);
});

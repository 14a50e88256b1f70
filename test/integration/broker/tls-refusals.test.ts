/**
 * Gate 1 of the broker: the TLS handshake. Each case asserts what the client
 * sees (no CONNACK: the connection ends) and what the broker reports
 * (onRefusal stage 'tls' with OpenSSL's verify code, and a log line), and
 * that a valid kiosk still gets through afterwards.
 */
import t, { type Test } from 'tap';
import { createCrl, issueCertificate, pemJoin } from '../../../provisioning/pki/ca.js';
import { loadIssuingCa } from '../../../provisioning/pki/issuing.js';
import { exportPkcs8Pem, newP256KeyPair } from '../../../provisioning/pki/tls-keys.js';
import { randomBytes } from 'node:crypto';
import { pemBlocks } from '../../../common/pem-blocks.js';
import { attempt, makePki, selfSigned, start, waitFor, type Creds, type Pki, type Running } from './helpers.js';

const DAY = 86_400_000;
const random = (n: number): Uint8Array => new Uint8Array(randomBytes(n));

/** A client certificate issued by the PKI's issuing CA with chosen validity, followed by the issuing CA's certificate. */
async function issued(pki: Pki, cn: string, notBefore?: Date, days = 90): Promise<Creds & { serial: string }> {
  const issuing = await loadIssuingCa(pki.layout.dir);
  const kp = await newP256KeyPair();
  const c = await issueCertificate({ ca: issuing.ca, subject: { cn, ou: 'kiosk' }, profile: 'client', days, publicKey: kp.publicKey, random, ...(notBefore ? { notBefore } : {}) });
  return { cert: pemJoin(c.pem, issuing.chainPem), key: await exportPkcs8Pem(kp.privateKey), serial: c.serial };
}

/** The attempt fails without CONNACK, and the broker reports exactly `reason` at the TLS stage. */
async function refusedAtTls(t: Test, run: Running, pki: Pki, creds: Creds | undefined, reason: string): Promise<void> {
  const a = await attempt(run, pki, creds, 'kiosk-1');
  t.equal(a.connected, false, 'no CONNACK');
  await waitFor(() => run.refusals.length > 0, 'the refusal');
  t.same(run.refusals, [{ stage: 'tls', reason }]);
  t.match(run.logs.join(''), new RegExp(`"msg":"tls refused","stage":"tls","reason":"${reason}"`));
  t.equal(run.broker.clientCount(), 0);
  run.refusals.length = 0;
  const ok = await attempt(run, pki, await pki.kiosk('kiosk-1'), 'kiosk-1');
  t.equal(ok.connected, true, 'a valid kiosk still connects');
  t.same(run.refusals, []);
}

void t.test('a self-signed certificate claiming to be kiosk-1', async (t) => {
  const pki = await makePki(t);
  const forged = await selfSigned('kiosk-1');
  // The reason is OpenSSL's last verify error. With a CRL configured, CRL
  // checking of the whole chain (Node sets CRL_CHECK_ALL) comes after the
  // chain error and finds no CRL from the certificate's own "issuer".
  await t.test('with the CRL', async (t) => refusedAtTls(t, await start(t, pki), pki, forged, 'UNABLE_TO_GET_CRL'));
  await t.test('without a CRL', async (t) => refusedAtTls(t, await start(t, pki, { crl: '' }), pki, forged, 'DEPTH_ZERO_SELF_SIGNED_CERT'));
});

void t.test('a kiosk certificate from another CA (a second development PKI)', async (t) => {
  const pki = await makePki(t);
  const foreign = await makePki(t);
  const creds = await foreign.kiosk('kiosk-1');
  // Its tls.crt carries the foreign issuing CA: the chain stops at an
  // untrusted issuer, then CRL checking of the whole chain finds no CRL from
  // the foreign CAs, and that is the last error OpenSSL records.
  await t.test('leaf and foreign issuing CA, with the CRL', async (t) => refusedAtTls(t, await start(t, pki), pki, creds, 'UNABLE_TO_GET_CRL'));
  await t.test('leaf and foreign issuing CA, without a CRL', async (t) => refusedAtTls(t, await start(t, pki, { crl: '' }), pki, creds, 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY'));
  const leafOnly = { cert: pemBlocks(creds.cert, 'CERTIFICATE')[0]!, key: creds.key };
  await t.test('the foreign leaf alone, with the CRL', async (t) => refusedAtTls(t, await start(t, pki), pki, leafOnly, 'UNABLE_TO_VERIFY_LEAF_SIGNATURE'));
});

void t.test('an expired certificate from the right CA', async (t) => {
  const pki = await makePki(t);
  const run = await start(t, pki);
  const expired = await issued(pki, 'kiosk-1', new Date(Date.now() - 10 * DAY), 1);
  await refusedAtTls(t, run, pki, expired, 'CERT_HAS_EXPIRED');
});

void t.test('a certificate the CRL revokes', async (t) => {
  const pki = await makePki(t);
  const revoked = await issued(pki, 'kiosk-1');
  const issuing = await loadIssuingCa(pki.layout.dir);
  // The root's CRL as published, and an issuing CA CRL that lists the certificate.
  const crl = [pki.crl[0]!, await createCrl(issuing.ca, [{ serial: revoked.serial, date: new Date() }], { number: 2 })];
  const run = await start(t, pki, { crl });
  await refusedAtTls(t, run, pki, revoked, 'CERT_REVOKED');
});

void t.test('the broker certificate used as a client certificate (serverAuth only)', async (t) => {
  const pki = await makePki(t);
  const run = await start(t, pki);
  await refusedAtTls(t, run, pki, pki.broker, 'INVALID_PURPOSE');
});

void t.test('no client certificate at all: the client gets a TLS alert', async (t) => {
  const pki = await makePki(t);
  const run = await start(t, pki);
  const a = await attempt(run, pki, undefined, 'kiosk-1');
  t.equal(a.connected, false);
  t.match(String(a.error?.code), /^ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED$/, 'TLS 1.3 alert 116 at the client');
  await waitFor(() => run.refusals.length > 0, 'the refusal');
  t.same(run.refusals, [{ stage: 'tls', reason: 'ERR_SSL_PEER_DID_NOT_RETURN_A_CERTIFICATE' }]);
});

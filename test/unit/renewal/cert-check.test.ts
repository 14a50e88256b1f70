/**
 * kiosk/renewal/cert-check.ts: a renewed certificate is kept only when it
 * is for the pending key, for CN = the kiosk ID, chains to the kiosk's CA
 * (one tier or two, with or without the root in the PEM) and is valid now.
 * Each refusal has its own code.
 */
import t from 'tap';
import { checkRenewedCertificate, requestSpki } from '../../../kiosk/renewal/cert-check.js';
import { newSoftwareTlsKey } from '../../../kiosk/keystore/software-tls.js';
import { leafFor, rawLeafFor, twoTier } from './certs.js';

const ID = 'kiosk-7';

void t.test('a good certificate (leaf + issuing CA) passes; its fingerprint and end are returned', async (t) => {
  const pki = await twoTier();
  const key = await newSoftwareTlsKey(ID);
  key.pkcs8Pem.fill(0);
  const pem = await leafFor(key.csr, { ca: pki.issuing, cn: ID, chain: [pki.issuing.certPem] });
  const want = { kioskId: ID, spki: requestSpki(key.csr), root: pki.root.certPem, now: Date.now() };
  const ok = checkRenewedCertificate(pem, want);
  t.match(ok.fingerprint, /^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
  t.ok(ok.notAfter.getTime() > Date.now());
  t.equal(ok.chain, pem);
  // The root in the PEM too, and a one-tier CA that signs leaves itself.
  t.ok(checkRenewedCertificate(pem + pki.root.certPem, want), 'leaf + issuing + root');
  const direct = await leafFor(key.csr, { ca: pki.root, cn: ID });
  t.ok(checkRenewedCertificate(direct, want), 'a leaf signed by the root itself');
});

void t.test('refusals: another key, another CN, another CA, missing intermediate, expired, not yet valid, garbage', async (t) => {
  const pki = await twoTier();
  const other = await twoTier('Other');
  const key = await newSoftwareTlsKey(ID);
  const stranger = await newSoftwareTlsKey(ID);
  key.pkcs8Pem.fill(0);
  stranger.pkcs8Pem.fill(0);
  const want = { kioskId: ID, spki: requestSpki(key.csr), root: pki.root.certPem, now: Date.now() };
  const chain = [pki.issuing.certPem];
  const cases: [string, Promise<string>, string, RegExp][] = [
    ['another key', leafFor(stranger.csr, { ca: pki.issuing, cn: ID, chain }), 'CERT_WRONG_KEY', /not for the pending key/],
    ['another CN', leafFor(key.csr, { ca: pki.issuing, cn: 'kiosk-8', chain }), 'CERT_WRONG_SUBJECT', /not for CN=kiosk-7/],
    ['another CA', leafFor(key.csr, { ca: other.issuing, cn: ID, chain: [other.issuing.certPem] }), 'CERT_UNTRUSTED', /does not lead to the kiosk's CA/],
    ['another CA, our issuing CA appended', leafFor(key.csr, { ca: other.issuing, cn: ID, chain }), 'CERT_UNTRUSTED', /not signed by the next one/],
    ['no intermediate', leafFor(key.csr, { ca: pki.issuing, cn: ID }), 'CERT_UNTRUSTED', /does not lead/],
    ['expired', leafFor(key.csr, { ca: pki.issuing, cn: ID, chain, days: 1, notBefore: new Date(Date.now() - 3 * 86_400_000) }), 'CERT_EXPIRED', /expired at/],
    ['not yet valid', leafFor(key.csr, { ca: pki.issuing, cn: ID, chain, days: 1, notBefore: new Date(Date.now() + 3_600_000) }), 'CERT_NOT_YET_VALID', /valid from/],
    ['a CA as the leaf', Promise.resolve(pki.issuing.certPem), 'CERT_INVALID', /leaf is a CA/],
    ['no certificate', Promise.resolve('-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n'), 'CERT_INVALID', /not an X\.509/],
    ['five certificates', Promise.resolve(pki.issuing.certPem.repeat(5)), 'CERT_INVALID', /5 certificates/],
  ];
  for (const [what, pem, code, message] of cases) {
    const text = await pem;
    t.throws(() => checkRenewedCertificate(text, want), { name: 'RenewalError', code, message }, what);
  }
});

void t.test('every certificate of the chain valid now: an expired issuing CA under a leaf that outlives it', async (t) => {
  const pki = await twoTier();
  const key = await newSoftwareTlsKey(ID);
  key.pkcs8Pem.fill(0);
  const now = Date.now();
  const pem = await rawLeafFor(key.csr, { ca: pki.issuing, cn: ID, chain: [pki.issuing.certPem], notBefore: new Date(now - 86_400_000), notAfter: new Date(now + 28 * 86_400_000) });
  const want = { kioskId: ID, spki: requestSpki(key.csr), root: pki.root.certPem, now: now + 25 * 86_400_000 };
  t.throws(() => checkRenewedCertificate(pem, want), { name: 'RenewalError', code: 'CERT_EXPIRED', message: /CA certificate 2 of the chain expired/ });
  const caLeaf = await rawLeafFor(key.csr, { ca: pki.issuing, cn: ID, chain: [pki.issuing.certPem], notBefore: new Date(now - 86_400_000), notAfter: new Date(now + 86_400_000), isCa: true });
  t.throws(() => checkRenewedCertificate(caLeaf, { ...want, now }), { name: 'RenewalError', code: 'CERT_INVALID', message: /leaf is a CA/ });
});

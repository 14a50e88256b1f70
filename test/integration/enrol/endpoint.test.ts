/**
 * The enrolment endpoint over real HTTPS, with a real center (PGlite, the
 * dev PKI's issuing CA): a kiosk's request is registered and answered with
 * its certificate, the root, the center's key and its signed registry; and
 * every refusal gets its status and code, is audited `enrol.refused` with
 * its precise reason, registers nothing, and leaves the token as it was.
 */
import { X509Certificate } from 'node:crypto';
import t, { type Test } from 'tap';
import { kioskCerts } from '../../../center/certs.js';
import { getKiosk } from '../../../center/registry.js';
import * as x509 from '../../../kiosk/keystore/x509.js';
import { verifyRegistry, type SignedRegistry } from '../../../wire/registry.js';
import { startEnrolRig, type EnrolRig } from './enrol-rig.js';

void t.test('the enrolment endpoint', async (t) => {
  const e: EnrolRig = await startEnrolRig(t);
  const d = e.rig.center.deps;

  /** Posts, then checks the refusal: status, code, one audit entry with the reason, nothing registered, the token unchanged. */
  const refused = async (t: Test, what: string, body: unknown, want: { status: number; code: string; reason?: string; kiosk?: string; token?: string; tokenUsed?: boolean }, o: Parameters<EnrolRig['post']>[1] = {}): Promise<void> => {
    await t.test(what, async (t) => {
      const from = await e.auditSize();
      const before = want.token ? await e.usedAt(want.token) : undefined;
      const kiosksBefore = want.kiosk ? await e.kioskCount(want.kiosk) : 0;
      const a = await e.post(body, o);
      t.equal(a.status, want.status, 'status');
      t.equal(a.json.error, want.code, 'code');
      const entries = await e.rig.waitForAudit((r) => r.kind === 'enrol.refused', 'the refusal audited', { from });
      t.match(entries.detail, { code: want.code, reason: want.reason ?? want.code, source: /127\.0\.0\.1/ }, 'audited with the precise reason');
      t.equal((await e.refusals(from)).length, 1, 'one entry');
      if (want.kiosk) t.equal(await e.kioskCount(want.kiosk), kiosksBefore, 'nothing registered');
      if (want.token) t.same(await e.usedAt(want.token), want.tokenUsed === true ? before : null, 'the token as it was');
    });
  };

  let enrolled: { token: string } | undefined;
  await t.test('a valid request: 201, registered, token used, audited', async (t) => {
    const token = await e.token('kiosk-a', 'HND T3');
    const body = await e.request('kiosk-a', token);
    const a = await e.post(body);
    t.equal(a.status, 201);
    const ans = a.json as { v: number; certificate: string; ca: string; centerSigningPublicKey: string; registry: SignedRegistry };
    t.equal(ans.v, 1);
    const blocks = ans.certificate.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
    t.equal(blocks.length, 2, 'the chain: the leaf and the issuing CA');
    const [leaf, issuing] = blocks.map((b) => new X509Certificate(b)) as [X509Certificate, X509Certificate];
    const root = new X509Certificate(ans.ca);
    t.match(leaf.subject, /CN=kiosk-a/);
    t.notOk(leaf.ca, 'the leaf is not a CA');
    const requested = Buffer.from(new x509.Pkcs10CertificateRequest(String(body.csr)).publicKey.rawData);
    t.same(leaf.publicKey.export({ type: 'spki', format: 'der' }), requested, "the leaf's public key is the request's");
    t.ok(leaf.checkIssued(issuing) && leaf.verify(issuing.publicKey), 'the leaf issued and signed by the issuing CA');
    t.ok(issuing.ca && issuing.checkIssued(root) && issuing.verify(root.publicKey), 'the issuing CA issued and signed by the root');
    t.ok(root.verify(root.publicKey), 'the root is self-signed');
    t.equal(ans.ca.trim(), e.rig.ca.trim(), 'the root is ca/ca.crt');
    t.equal(ans.centerSigningPublicKey, Buffer.from(d.keys.signingPublic).toString('hex'));
    const reg = verifyRegistry(ans.registry, d.keys.signingPublic, 'kiosk-a');
    t.same(reg.readers, [], 'an empty registry, signed by the center, for this kiosk');
    const k = await getKiosk(d.db, 'kiosk-a');
    t.match(k, { status: 'active', mode: 'relay', cert_fingerprint: leaf.fingerprint256 });
    t.equal(Buffer.from(k!.signing_public_key).toString('hex'), body.signingPublicKey);
    t.equal(Buffer.from(k!.sealing_public_key!).toString('hex'), body.sealingPublicKey);
    const site = await d.db.query<{ site: string }>('SELECT site FROM kiosks WHERE id = $1', ['kiosk-a']);
    t.equal(site.rows[0]?.site, 'HND T3', 'the site the token was bound to');
    t.match(await kioskCerts(d.db, 'kiosk-a'), [{ serial: leaf.serialNumber.toLowerCase(), state: 'current', source: 'enrolment', fingerprint: leaf.fingerprint256 }]);
    t.ok((await e.usedAt(token)) instanceof Date, 'the token is used');
    const entry = await e.rig.waitForAudit((r) => r.kind === 'kiosk.enrolled' && r.kiosk === 'kiosk-a', 'kiosk.enrolled');
    t.match(entry.detail, { site: 'HND T3', fingerprint: leaf.fingerprint256, token: /^[0-9a-f]{16}$/ });
    const logs = e.rig.logs.all().join('\n');
    t.notOk(logs.includes(token), 'the token is in no log line');
    t.notOk(logs.includes(String(body.proof)), 'nor the proof');
    t.notOk(JSON.stringify(await e.rig.audit()).includes(token), 'nor in the audit log');
    enrolled = { token };
  });

  await t.test('the same request again with its used token: answered again (a lost answer); anything else refused', async (t) => {
    const token = await e.token('kiosk-g', 'HND T3');
    const body = await e.request('kiosk-g', token);
    const first = await e.post(body);
    t.equal(first.status, 201);
    const from = await e.auditSize();
    const again = await e.post(body);
    t.equal(again.status, 201, 'the same request: 201 again');
    t.equal(again.json.certificate, first.json.certificate, 'the same certificate');
    t.equal(again.json.ca, first.json.ca);
    verifyRegistry(again.json.registry as SignedRegistry, d.keys.signingPublic, 'kiosk-g');
    const leaf = new X509Certificate(first.json.certificate as string);
    const entry = await e.rig.waitForAudit((r) => r.kind === 'kiosk.enrol-resent' && r.kiosk === 'kiosk-g', 'kiosk.enrol-resent', { from });
    t.match(entry.detail, { fingerprint: leaf.fingerprint256, serial: leaf.serialNumber.toLowerCase(), site: 'HND T3', token: /^[0-9a-f]{16}$/ });
    t.equal(await e.kioskCount('kiosk-g'), 1);
    t.equal((await kioskCerts(d.db, 'kiosk-g')).length, 1, 'no second certificate');
    const other = await e.request('kiosk-g', token);
    await refused(t, 'another CSR and keys with the used token: 401', other, { status: 401, code: 'token-refused', reason: 'used', token, tokenUsed: true });
    await e.rig.center.revokeKiosk('kiosk-g', 'test');
    await refused(t, 'the same request once the kiosk was revoked: 401', body, { status: 401, code: 'token-refused', reason: 'used', token, tokenUsed: true });
  });

  const unknown = Buffer.alloc(32, 7).toString('base64url');
  await refused(t, 'an unknown token: 401', await e.request('kiosk-b', unknown), { status: 401, code: 'token-refused', reason: 'unknown', kiosk: 'kiosk-b' });

  await t.test('an expired token', async (t) => {
    const token = await e.token('kiosk-c');
    // Its time ran out (the rig's center runs on the real clock).
    await d.db.query("UPDATE enrolment_tokens SET expires_at = now() - interval '1 second' WHERE token_hash = (SELECT token_hash FROM enrolment_tokens WHERE kiosk_id = 'kiosk-c')");
    await refused(t, '401, reason expired', await e.request('kiosk-c', token), { status: 401, code: 'token-refused', reason: 'expired', kiosk: 'kiosk-c', token });
  });

  await refused(t, 'a used token: 401 (even for the kiosk it enrolled)', await e.request('kiosk-a', enrolled!.token), { status: 401, code: 'token-refused', reason: 'used', token: enrolled!.token, tokenUsed: true });

  const tokenD = await e.token('kiosk-d');
  await refused(t, "another kiosk's token: 401", await e.request('kiosk-e', tokenD), { status: 401, code: 'token-refused', reason: 'other-kiosk', kiosk: 'kiosk-e', token: tokenD });
  await refused(t, 'a CSR for another CN: 400 csr-invalid, the token stays unused', await e.request('kiosk-d', tokenD, { csrFor: 'kiosk-x' }), { status: 400, code: 'csr-invalid', kiosk: 'kiosk-d', token: tokenD });
  const good = await e.request('kiosk-d', tokenD);
  const other = await e.request('kiosk-d', tokenD);
  await refused(t, 'a proof by another key: 400 proof-invalid', { ...good, proof: other.proof }, { status: 400, code: 'proof-invalid', kiosk: 'kiosk-d', token: tokenD });
  await refused(t, 'a proof over another CSR: 400 proof-invalid', { ...good, csr: other.csr }, { status: 400, code: 'proof-invalid', kiosk: 'kiosk-d', token: tokenD });
  await refused(t, 'a body over 16 KiB: 413', { ...good, pad: 'x'.repeat(17 * 1024) }, { status: 413, code: 'too-large', kiosk: 'kiosk-d', token: tokenD });
  await refused(t, 'not application/json: 415', good, { status: 415, code: 'unsupported-media-type', kiosk: 'kiosk-d', token: tokenD }, { headers: { 'Content-Type': 'text/plain' } });
  await refused(t, 'a body that is not JSON: 400 body-invalid', '{"v":1,', { status: 400, code: 'body-invalid', kiosk: 'kiosk-d', token: tokenD });
  await refused(t, 'an unknown field: 400 body-invalid', { ...good, admin: true }, { status: 400, code: 'body-invalid', kiosk: 'kiosk-d', token: tokenD });
  await refused(t, 'GET: 405', '', { status: 405, code: 'method-not-allowed' }, { method: 'GET' });
  await refused(t, 'another path: 404', good, { status: 404, code: 'not-found', token: tokenD }, { path: '/v1/enrol/x' });

  await t.test('an existing kiosk: 409 kiosk-exists, its token stays unused', async (t) => {
    const token = await e.token('kiosk-a');
    await refused(t, '409', await e.request('kiosk-a', token), { status: 409, code: 'kiosk-exists', token });
    t.equal(await e.kioskCount('kiosk-a'), 1);
    t.match(await kioskCerts(d.db, 'kiosk-a'), [{ state: 'current' }], 'its certificate unchanged');
  });

  await t.test('the same token twice at once: one enrolment', async (t) => {
    const token = await e.token('kiosk-f');
    const [a, b] = await Promise.all([e.post(await e.request('kiosk-f', token)), e.post(await e.request('kiosk-f', token))]);
    t.same([a.status, b.status].sort(), [201, 401]);
    t.equal(await e.kioskCount('kiosk-f'), 1);
    t.equal((await kioskCerts(d.db, 'kiosk-f')).length, 1, 'one certificate recorded');
  });

  await t.test('the endpoint still enrols after the refusals', async (t) => {
    t.equal((await e.post(await e.request('kiosk-d', tokenD))).status, 201);
    t.ok((await e.usedAt(tokenD)) instanceof Date);
  });
});

void t.test('rate limit per source address: 429, audited once per window', async (t) => {
  const e = await startEnrolRig(t, { requestsPerMinute: 2 });
  const from = await e.auditSize();
  const statuses: number[] = [];
  for (let i = 0; i < 5; i++) statuses.push((await e.post('{}')).status);
  t.same(statuses, [400, 400, 429, 429, 429]);
  const last = await e.post('{}');
  t.equal(last.json.error, 'rate-limited');
  await e.rig.waitForAudit((r) => r.kind === 'enrol.refused' && r.detail.code === 'rate-limited', 'the 429 audited', { from });
  const codes = (await e.refusals(from)).map((r) => r.detail.code);
  t.same(codes, ['body-invalid', 'body-invalid', 'rate-limited'], 'the flood is one entry');
});

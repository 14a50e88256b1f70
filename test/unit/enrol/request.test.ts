// The enrolment request: its schema (strict, bounded, fields named never
// echoed) and the proof of possession, the same bytes on both sides.
import { randomBytes } from 'node:crypto';
import t from 'tap';
import { parseEnrolRequest, verifyEnrolProof, enrolProofMessage as centerMessage, MAX_CSR_CHARS } from '../../../center/enrol/request.js';
import { enrolProofMessage as kioskMessage, signEnrolProof } from '../../../kiosk/enrol/proof.js';
import { newSoftwareTlsKey } from '../../../kiosk/keystore/software-tls.js';
import { ed25519PublicKey } from '../../../wire/keys.js';
import { sealingPublicKey } from '../../../wire/package.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const token = Buffer.from(randomBytes(32)).toString('base64url');

async function validRequest(kiosk = 'kiosk-9') {
  const signing = new Uint8Array(randomBytes(32));
  const sealing = new Uint8Array(randomBytes(32));
  const tls = await newSoftwareTlsKey(kiosk);
  tls.pkcs8Pem.fill(0);
  const sealingPub = sealingPublicKey(sealing);
  return {
    v: 1,
    kiosk,
    token,
    csr: tls.csr,
    signingPublicKey: hex(ed25519PublicKey(signing)),
    sealingPublicKey: hex(sealingPub),
    proof: hex(signEnrolProof(signing, kiosk, tls.csr, sealingPub)),
  };
}

const bytes = (v: unknown): Uint8Array => new Uint8Array(Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)));

void t.test('the proof: the kiosk signs the bytes the center checks', async (t) => {
  const req = await validRequest();
  t.same(kioskMessage(req.kiosk, req.csr, Buffer.from(req.sealingPublicKey, 'hex')), centerMessage(req.kiosk, req.csr, req.sealingPublicKey), 'same bytes on both sides');
  t.match(Buffer.from(centerMessage('k', 'x', 'ab')).toString(), /^cardline-enrol-v1\nk\n[0-9a-f]{64}\nab$/);
  t.ok(verifyEnrolProof(parseEnrolRequest(bytes(req))), 'a valid proof verifies');
  const other = await validRequest();
  t.notOk(verifyEnrolProof({ ...req, proof: other.proof }), 'a proof by another key');
  t.notOk(verifyEnrolProof({ ...req, kiosk: 'kiosk-8' }), 'another kiosk ID');
  t.notOk(verifyEnrolProof({ ...req, csr: other.csr }), 'another CSR');
  t.notOk(verifyEnrolProof({ ...req, sealingPublicKey: other.sealingPublicKey }), 'another sealing key');
  t.notOk(verifyEnrolProof({ ...req, signingPublicKey: other.signingPublicKey }), 'another signing key');
  const flipped = Buffer.from(req.proof, 'hex');
  flipped[10]! ^= 1;
  t.notOk(verifyEnrolProof({ ...req, proof: flipped.toString('hex') }), 'a flipped bit');
});

void t.test('the body: strict and bounded, refusals name the field only', async (t) => {
  const req = await validRequest();
  t.equal(parseEnrolRequest(bytes(req)).kiosk, 'kiosk-9');
  const bad = (v: unknown, re: RegExp, what: string): void => {
    try {
      parseEnrolRequest(bytes(v));
      t.fail(`${what}: accepted`);
    } catch (e) {
      t.match(e, { code: 'body-invalid', status: 400, message: re }, what);
      t.notOk((e as Error).message.includes(token), `${what}: the token is not echoed`);
    }
  };
  bad('{"v":1,', /not JSON/, 'not JSON');
  bad('[]', /body/, 'an array');
  bad({ ...req, v: 2 }, /'v'/, 'another version');
  bad({ ...req, extra: 1 }, /unknown field\(s\): extra/, 'an extra field');
  bad({ ...req, kiosk: '../x' }, /'kiosk'/, 'a kiosk ID that is no ID');
  bad({ ...req, token: `${token}A` }, /'token'/, 'a token too long');
  bad({ ...req, token: token.replace(/.$/, '+') }, /'token'/, 'a token not base64url');
  bad({ ...req, csr: 'hello' }, /'csr'/, 'a CSR that is no PEM');
  bad({ ...req, csr: `-----BEGIN CERTIFICATE REQUEST-----\n${'A'.repeat(MAX_CSR_CHARS)}\n-----END CERTIFICATE REQUEST-----\n` }, /'csr'/, 'a CSR too long');
  bad({ ...req, signingPublicKey: req.signingPublicKey.toUpperCase() }, /'signingPublicKey'/, 'upper-case hex (not canonical)');
  bad({ ...req, sealingPublicKey: req.sealingPublicKey.slice(2) }, /'sealingPublicKey'/, 'a sealing key of 31 bytes');
  bad({ ...req, proof: req.proof.slice(2) }, /'proof'/, 'a proof of 63 bytes');
  const { token: _token, ...noToken } = req;
  bad(noToken, /'token'/, 'no token');
});

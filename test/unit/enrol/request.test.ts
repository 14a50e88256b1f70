// The enrolment request: its schema (strict, bounded, fields named never
// echoed) and the proof of possession, whose bytes are written once
// (wire/enrol-proof.ts) for both sides and pinned here.
import { randomBytes } from 'node:crypto';
import t from 'tap';
import { parseEnrolRequest, verifyEnrolProof, MAX_CSR_CHARS } from '../../../center/enrol/request.js';
import { enrolProofMessage, signEnrolProof } from '../../../wire/enrol-proof.js';
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
  // The bytes, pinned (docs/provisioning.md §2 step 3): a change here breaks every kiosk in the field.
  const sealingHex = 'ab'.repeat(32);
  t.equal(
    Buffer.from(enrolProofMessage('k', 'x', new Uint8Array(32).fill(0xab))).toString('utf8'),
    `cardline-enrol-v1\nk\n2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881\n${sealingHex}`,
    'context, kiosk, lower-case hex SHA-256 of the CSR as sent, the sealing key in lower-case hex',
  );
  t.throws(() => enrolProofMessage('k', 'x', new Uint8Array(31)), RangeError, 'a sealing key of 31 bytes is a caller bug');
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

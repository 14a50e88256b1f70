// Message types and bodies (wire/codec.ts, wire/messages.ts): every type of
// each direction decodes; unknown types and bad bodies are refused without
// echoing values.
import t from 'tap';
import { decodeDown, decodeUp } from '../../../wire/codec.js';
import { openEnvelope, sealEnvelope, type Envelope } from '../../../wire/envelope.js';
import type { DOWN_SCHEMAS, UP_SCHEMAS } from '../../../wire/messages.js';
import { centerSecret, downOptions, helloBody, kioskSecret, upEnvelope, upOptions } from './fixtures.js';

const JOB = '3f2b8c1e-9a4d-4e6f-8b7a-0c1d2e3f4a5b';

const upBodies: Record<keyof typeof UP_SCHEMAS, unknown> = {
  hello: helloBody,
  'reader-report': { reader: 'r1', status: 'refused', reason: 'unknown-reader' },
  request: { application: 'app-1', code: 'ABCD1234' },
  card: { job: JOB, attempt: 1, atr: '3B8F8001', iu: '00'.repeat(29) },
  result: { job: JOB, attempt: 2, responses: ['9000', '6A82'], error: { index: 1, code: 'status' } },
  'card-done': { job: JOB, action: 'ejected', ok: true },
  csr: { csr: '-----BEGIN CERTIFICATE REQUEST-----\nMIIB\n-----END CERTIFICATE REQUEST-----\n' },
  wiped: { ok: true, failed: [] },
  'renew-failed': { code: 'TOOL_FAILED' },
};

const downBodies: Record<keyof typeof DOWN_SCHEMAS, unknown> = {
  welcome: { registry: { r: 'e30=', s: 'AA==' } },
  registry: { registry: { r: 'e30=', s: 'AA==' } },
  refused: { reason: 'kiosk-revoked', message: 'revoked' },
  'request-refused': { reason: 'bad-credentials', attemptsLeft: 2 },
  'insert-card': { job: JOB, attempt: 1, challenge: '0011223344556677', sdAid: 'A000000151000000', kvn: 0x30, recover: false },
  'card-refused': { job: JOB, attempt: 1, reason: 'card-authentication' },
  script: { job: JOB, attempt: 1, kind: 'write', stop: 'first-error', apdus: ['84E2800000'], summary: { storeDataBlocks: 1, dgis: 1 } },
  package: { job: JOB, attempt: 1, kind: 'write', profile: 'cardline-basic', deadline: 1, sealed: { to: '00'.repeat(8), epk: '11'.repeat(32), nonce: '22'.repeat(24), ct: 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' } },
  issued: { job: JOB, card: '00112233445566778899', sdAid: 'A000000151000000' },
  failed: { job: JOB, reason: 'voided' },
  renew: { notAfter: 1, reason: 'expiring' },
  certificate: { pem: '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n-----BEGIN CERTIFICATE-----\nMIIC\n-----END CERTIFICATE-----\n', notAfter: 2 },
  decommission: { reason: 'stolen' },
};

void t.test('every up type decodes after a round trip', (t) => {
  for (const [type, body] of Object.entries(upBodies)) {
    const env = openEnvelope(sealEnvelope(upEnvelope(type, body), kioskSecret), upOptions());
    t.same(decodeUp(env), { type, body }, type);
  }
  t.end();
});

void t.test('every down type decodes after a round trip', (t) => {
  for (const [type, body] of Object.entries(downBodies)) {
    const env = openEnvelope(sealEnvelope({ ...upEnvelope(type, body), from: 'center' }, centerSecret), downOptions());
    t.same(decodeDown(env), { type, body }, type);
  }
  t.end();
});

void t.test('unknown-type: other direction, unknown names, Object.prototype names', (t) => {
  for (const type of ['welcome', 'nope', 'constructor', 'toString', '__proto__', 'hasOwnProperty']) {
    t.throws(() => decodeUp(upEnvelope(type, {})), { name: 'WireError', reason: 'unknown-type' }, `up ${type}`);
  }
  for (const type of ['hello', 'constructor', 'valueOf']) {
    t.throws(() => decodeDown({ ...upEnvelope(type, {}), from: 'center' }), { name: 'WireError', reason: 'unknown-type' }, `down ${type}`);
  }
  t.end();
});

void t.test('wrong-address: a decoder refuses the other sender', (t) => {
  t.throws(() => decodeUp({ ...upEnvelope('hello', helloBody), from: 'center' }), { name: 'WireError', reason: 'wrong-address' });
  t.throws(() => decodeDown(upEnvelope('issued', { job: JOB })), { name: 'WireError', reason: 'wrong-address' });
  t.end();
});

void t.test('malformed: a bad field is named by path, its value never echoed', (t) => {
  const secret = 'SECRETCODE9876';
  const cases: [Envelope, string][] = [
    [upEnvelope('request', { application: 'app-1', code: `${secret}!` }), 'code'],
    [upEnvelope('request', { application: 'app-1' }), 'code'],
    [upEnvelope('request', { application: 'app-1', code: 'ABCD1234', [secret]: 1 }), '(root)'],
    [upEnvelope('hello', { ...helloBody, readers: [{ id: 'r1', kind: secret }] }), 'readers.[0].kind'],
    [upEnvelope('result', { job: JOB, attempt: 1, responses: ['9000', secret] }), 'responses.[1]'],
    [upEnvelope('card', null), '(root)'],
    [upEnvelope('card-done', { job: JOB, action: 'ejected', ok: 'yes' }), 'ok'],
  ];
  for (const [env, path] of cases) {
    try {
      decodeUp(env);
      t.fail(`${env.type} accepted`);
    } catch (e) {
      t.match(e, { name: 'WireError', reason: 'malformed' }, `${env.type} → malformed`);
      const message = (e as Error).message;
      t.ok(message.includes(`${env.type} body: ${path} `), `${env.type}: names ${path} (${message})`);
      t.notOk(message.includes(secret), `${env.type}: no value echoed`);
    }
  }
  t.end();
});

void t.test('decoded bodies are copies with only the schema keys', (t) => {
  const body = { application: 'app-1', code: 'ABCD1234' };
  const msg = decodeUp(upEnvelope('request', body));
  t.not(msg.body, body);
  t.same(Object.keys(msg.body), ['application', 'code']);
  t.end();
});

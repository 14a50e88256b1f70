/**
 * A session in progress is never interrupted (docs/provisioning.md §3):
 * a certificate that arrives while a customer's card is being issued is
 * kept as tls.next.crt, the swap waits (polls on the fake clock go by and
 * nothing moves), and happens as soon as the customer's card is issued and
 * ejected. A customer who asks while the swap runs waits for it, and is
 * then served on the new connection.
 */
import t from 'tap';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CODE, issuedBody, JOB, SCRIPT } from '../kiosk/fakes.js';
import { fingerprintOf, fleetWire, until } from './fleet-wire.js';

void t.test('the swap waits for the customer session in progress, and follows it at once', async (t) => {
  const w = await fleetWire(t, {
    answer: (m, reply) => {
      if (m.type === 'request') reply('insert-card', { job: JOB, attempt: 1, challenge: '0102030405060708', sdAid: 'A000000151000000', kvn: 0x30, recover: false });
      if (m.type === 'card') reply('script', { job: JOB, attempt: 1, kind: 'write', stop: 'first-error', apdus: [...SCRIPT], summary: { storeDataBlocks: 2, dgis: 1 } });
      if (m.type === 'result') reply('issued', issuedBody(JOB));
    },
  });
  const oldCert = await w.cert();
  // The center holds its answer to `card`: the customer's card is in the station, the job runs.
  w.hold.add('card');
  const customer = w.agent.request('app-1', CODE);
  await until(() => w.ups().some((m) => m.type === 'card'), 'the card read');
  t.equal(w.agent.state(), 'card');

  w.down('renew', { notAfter: w.clock.now(), reason: 'expiring' });
  await until(() => w.ups().some((m) => m.type === 'csr'), 'the csr');
  const csr = (w.ups().find((m) => m.type === 'csr')!.body).csr;
  const pem = await w.certify(csr);
  w.down('certificate', { pem, notAfter: w.clock.now() });
  await until(() => w.agent.renewal() === 'awaiting-swap', 'the certificate accepted');
  t.ok(await readFile(join(w.p.kioskDir, 'tls.next.crt')), 'tls.next.crt written');
  for (let i = 0; i < 20; i++) {
    w.clock.advance(100);
    await new Promise((r) => setImmediate(r));
  }
  t.equal(w.clients.length, 1, 'no reconnect while the session is in progress');
  t.equal(await w.cert(), oldCert, 'tls.crt not swapped yet');
  t.equal(w.agent.state(), 'card');

  w.release('card');
  t.same(await customer, { outcome: 'issued', job: JOB }, 'the customer got the card');
  const firstUps = w.clients[0]!.ups.map((m) => m.type);
  t.same(firstUps.slice(firstUps.indexOf('request')), ['request', 'card', 'csr', 'result', 'card-done'], 'the whole session on the old connection');
  // The customer left: the gate checks at once, no poll needed.
  await until(() => w.clients.length === 2, 'the swap right after the session');
  t.equal(fingerprintOf(await w.cert()), fingerprintOf(pem), 'tls.crt swapped to the renewed certificate');
  await until(() => w.agent.state() === 'ready', 'ready on the new connection');

  // The next customer is served on the new connection.
  const next = await w.agent.request('app-1', CODE);
  t.equal(next.outcome, 'issued');
  t.ok(w.clients[1]!.ups.some((m) => m.type === 'request'), 'on the new connection');
});

void t.test('a customer who asks while the kiosk reconnects after the swap waits, and is served on the new connection', async (t) => {
  const w = await fleetWire(t, {
    answer: (m, reply) => {
      if (m.type === 'request') reply('request-refused', { reason: 'not-pending' });
    },
  });
  w.down('renew', { notAfter: w.clock.now(), reason: 'requested' });
  await until(() => w.ups().some((m) => m.type === 'csr'), 'the csr');
  const csr = (w.ups().find((m) => m.type === 'csr')!.body).csr;
  // The center holds its welcome on the new connection: the kiosk is not ready there yet.
  w.hold.add('hello');
  w.down('certificate', { pem: await w.certify(csr), notAfter: w.clock.now() });
  await until(() => w.clients.length === 2 && w.clients[1]!.ups.some((m) => m.type === 'hello'), 'the swap and the new hello');
  t.equal(w.agent.state(), 'awaiting-welcome');
  const outcome = w.agent.request('app-1', CODE);
  await new Promise((r) => setTimeout(r, 50));
  t.notOk(w.ups().some((m) => m.type === 'request'), 'the customer waits for the new session');
  w.release('hello');
  t.same(await outcome, { outcome: 'refused', reason: 'not-pending' }, 'answered by the center');
  t.notOk(w.clients[0]!.ups.some((m) => m.type === 'request'), 'not on the old connection');
  t.ok(w.clients[1]!.ups.some((m) => m.type === 'request'), 'on the new one');
});

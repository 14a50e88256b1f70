/**
 * revokeSerials and publishCrl (provisioning/pki/issuing-crl.ts): idempotent
 * per serial, every re-signing a higher cRLNumber with nextUpdate
 * DEFAULT_CRL_DAYS out, re-signing only past half-life unless forced, a
 * tampered revoked.json or CRL refused with nothing changed, a crash between
 * the two files repaired, and concurrent writers serialized by the lock.
 */
import t, { type Test } from 'tap';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { FakeClock, systemClock } from '../../../common/clock.js';
import { DEFAULT_CRL_DAYS, publishCrl, revokeSerials } from '../../../provisioning/pki/issuing.js';
import { parseRevocationList } from '../../../provisioning/pki/revocation-list.js';
import { signRootCrl } from '../../../provisioning/pki/root-crl.js';
import { crlNumber, crls, DAY, devPki, random } from './helpers.js';

const T0 = Date.UTC(2031, 4, 1, 12, 0, 0);
const S1 = '4a5b6c7d8e9f00112233445566778899';
const S2 = '5a5b6c7d8e9f00112233445566778899';

/** A dev PKI made at T0 on a fake clock (no contention in these cases: the lock never waits). */
async function pkiAt(t: Test) {
  const clock = new FakeClock(T0);
  const layout = await devPki(t, { clock });
  return { layout, clock, o: { random, clock } };
}

/** The CRL with one byte of its signature (near the end of the DER) flipped. */
function flipLastByte(pem: string): string {
  const der = Buffer.from(pem.replace(/-----[A-Z0-9 ]+-----|\s/g, ''), 'base64');
  der[der.length - 3]! ^= 0x01;
  return `-----BEGIN X509 CRL-----\n${der.toString('base64').replace(/.{64}/g, '$&\n')}\n-----END X509 CRL-----\n`;
}

async function list(path: string) {
  return parseRevocationList(await readFile(path, 'utf8'), path);
}

void t.test('revokeSerials: adds, re-signs (number + 1, 7 days), idempotent per serial, canonical serials', async (t) => {
  const { layout, clock, o } = await pkiAt(t);
  const [root0, issuing0] = await crls(layout);
  t.equal(crlNumber(issuing0!), 1);
  clock.advance(1000);
  const r = await revokeSerials(layout.dir, [{ serial: S1.toUpperCase().replace(/(..)(?!$)/g, '$1:'), reason: 'keyCompromise' }], o);
  t.same(r.added, [S1], 'colons and case ignored: canonical lower-case hex');
  t.equal(r.crls.length, 2);
  t.equal(r.crlPem, await readFile(layout.ca.crl, 'ascii'), 'crlPem is ca/crl.pem');
  const [root1, issuing1] = await crls(layout);
  t.equal(root1!.toString('pem'), root0!.toString('pem'), 'the root CRL is carried over as it is');
  t.equal(crlNumber(issuing1!), 2, 'cRLNumber + 1');
  t.same(issuing1!.entries.map((e) => [e.serialNumber.toLowerCase(), e.reason]), [[S1, 1]], 'reasonCode keyCompromise (1)');
  t.equal(issuing1!.nextUpdate!.getTime(), T0 + 1000 + DEFAULT_CRL_DAYS * DAY, `nextUpdate ${DEFAULT_CRL_DAYS} days out`);
  t.same(await list(layout.ca.revoked), { v: 1, crlNumber: 2, revoked: [{ serial: S1, date: new Date(T0 + 1000).toISOString(), reason: 'keyCompromise' }] });

  const before = await readFile(layout.ca.crl, 'ascii');
  const again = await revokeSerials(layout.dir, [{ serial: `00${S1}`, reason: 'superseded' }], o);
  t.same(again.added, [], 'already listed (a leading zero byte is the same serial)');
  t.equal(await readFile(layout.ca.crl, 'ascii'), before, 'nothing re-signed');
  t.equal((await list(layout.ca.revoked)).revoked[0]!.reason, 'keyCompromise', 'the first reason stays');

  const two = await revokeSerials(layout.dir, [{ serial: S1, reason: 'superseded' }, { serial: S2, reason: 'superseded' }, { serial: S2, reason: 'superseded' }], o);
  t.same(two.added, [S2], 'only the new one, once');
  t.equal(crlNumber((await crls(layout))[1]!), 3);
});

void t.test('bad input is refused before anything is touched', async (t) => {
  const { layout, o } = await pkiAt(t);
  const before = [await readFile(layout.ca.crl, 'ascii'), await readFile(layout.ca.revoked, 'ascii')];
  for (const serial of ['', 'xyz', '00', 'ab'.repeat(21), '12-34']) {
    await t.rejects(revokeSerials(layout.dir, [{ serial, reason: 'superseded' }], o), { name: 'PkiError', code: 'INVALID_ARGUMENT' }, `serial ${JSON.stringify(serial)}`);
  }
  await t.rejects(revokeSerials(layout.dir, [{ serial: S1, reason: 'unspecified' as 'superseded' }], o), { code: 'INVALID_ARGUMENT', message: /reason/ });
  t.same([await readFile(layout.ca.crl, 'ascii'), await readFile(layout.ca.revoked, 'ascii')], before);
});

void t.test('publishCrl: nothing before half-life, re-signs after it or with force; returns nextUpdate', async (t) => {
  const { layout, clock, o } = await pkiAt(t);
  clock.advance(3.4 * DAY);
  const early = await publishCrl(layout.dir, o);
  t.equal(early.republished, false, 'more than half of 7 days left');
  t.equal(early.number, 1);
  t.equal(early.nextUpdate.getTime(), T0 + 7 * DAY);
  clock.advance(0.2 * DAY);
  const due = await publishCrl(layout.dir, o);
  t.equal(due.republished, true, 'less than half left: re-signed');
  t.equal(due.number, 2);
  t.equal(due.nextUpdate.getTime(), clock.now() + 7 * DAY);
  t.equal((await list(layout.ca.revoked)).crlNumber, 2, 'revoked.json records the number');
  const forced = await publishCrl(layout.dir, { ...o, force: true });
  t.same([forced.republished, forced.number], [true, 3]);
  t.equal(crlNumber((await crls(layout))[1]!), 3);
});

void t.test('a tampered revoked.json is refused (PkiError STATE_INVALID) and nothing is published', async (t) => {
  const { layout, o } = await pkiAt(t);
  await revokeSerials(layout.dir, [{ serial: S1, reason: 'keyCompromise' }], o);
  const good = await readFile(layout.ca.revoked, 'utf8');
  const crl = await readFile(layout.ca.crl, 'ascii');
  const cases: [string, string, RegExp][] = [
    ['not JSON', '{', /not JSON/],
    ['an unknown key', good.replace('"v": 1,', '"v": 1, "extra": true,'), /Unrecognized key/],
    ['upper-case serial', good.replace(S1, S1.toUpperCase()), /serial/],
    ['a bad reason', good.replace('keyCompromise', 'bored'), /reason/],
    ['a bad date', good.replace(/"date":"[^"]+"/, '"date":"yesterday"'), /date/],
    ['a duplicate serial', good.replace(/("revoked": \[\n)(.*)\n/, '$1$2,\n$2\n'), /twice/],
    ['the entry removed (un-revoking)', JSON.stringify({ v: 1, crlNumber: 2, revoked: [] }), /lacks 1 serial/],
    ['the number set back', good.replace('"crlNumber": 2', '"crlNumber": 1'), /published CRL is number 2/],
  ];
  for (const [what, text, message] of cases) {
    await writeFile(layout.ca.revoked, text);
    await t.rejects(publishCrl(layout.dir, { ...o, force: true }), { name: 'PkiError', code: 'STATE_INVALID', message }, what);
    await t.rejects(revokeSerials(layout.dir, [{ serial: S2, reason: 'superseded' }], o), { code: 'STATE_INVALID' }, `${what}: revoke`);
    t.equal(await readFile(layout.ca.crl, 'ascii'), crl, `${what}: crl.pem unchanged`);
  }
  await writeFile(layout.ca.revoked, good);
  t.equal((await publishCrl(layout.dir, { ...o, force: true })).number, 3, 'the genuine file works again');
});

void t.test('a tampered or foreign CRL is refused too', async (t) => {
  const { layout, o } = await pkiAt(t);
  const other = await devPki(t);
  const [root, issuing] = (await readFile(layout.ca.crl, 'ascii')).split(/(?=-----BEGIN X509 CRL-----)/);
  const foreign = (await readFile(other.ca.crl, 'ascii')).split(/(?=-----BEGIN X509 CRL-----)/);
  const cases: [string, string, RegExp][] = [
    ['only one CRL', root!, /holds 1 CRLs, not 2/],
    ['another issuing CA', root! + foreign[1]!, /issued by|signature/],
    ["another root's CRL", foreign[0]! + issuing!, /issued by|signature/],
    ['a flipped signature byte', root! + flipLastByte(issuing!), /signature does not verify/],
  ];
  for (const [what, text, message] of cases) {
    await writeFile(layout.ca.crl, text);
    await t.rejects(publishCrl(layout.dir, o), { code: 'STATE_INVALID', message }, what);
  }
  await rm(layout.ca.crl);
  await t.rejects(publishCrl(layout.dir, o), { code: 'NOT_FOUND', message: /--force/ }, 'a missing crl.pem needs --force');
  const rebuilt = await publishCrl(layout.dir, { ...o, force: true });
  t.same([rebuilt.republished, rebuilt.number], [true, 2], 'rebuilt from revoked.json');
});

void t.test('a crash between revoked.json and crl.pem: the next call publishes what the list holds', async (t) => {
  const { layout, o } = await pkiAt(t);
  // The state a crash after writing revoked.json leaves: the list ahead of the CRL.
  await writeFile(layout.ca.revoked, JSON.stringify({ v: 1, crlNumber: 2, revoked: [{ serial: S1, date: new Date(T0).toISOString(), reason: 'superseded' }] }));
  const again = await revokeSerials(layout.dir, [{ serial: S1, reason: 'superseded' }], o);
  t.same(again.added, [], 'already on the list');
  const [, issuing] = await crls(layout);
  t.same(issuing!.entries.map((e) => e.serialNumber.toLowerCase()), [S1], 'but now on the CRL too');
  t.equal(crlNumber(issuing!), 3, 'under a number never published before');
});

void t.test('a newer root CRL in ca/root-crl.pem is republished; an older one is refused', async (t) => {
  const { layout, clock, o } = await pkiAt(t);
  const first = await readFile(layout.ca.rootCrl, 'ascii');
  const newer = await signRootCrl(layout.root.dir, { force: true, random, clock });
  t.equal(newer.number, 2);
  await writeFile(layout.ca.rootCrl, newer.crlPem);
  const p = await publishCrl(layout.dir, o);
  t.same([p.republished, p.number], [true, 1], 'crl.pem rewritten, the issuing CRL kept');
  t.equal(crlNumber((await crls(layout))[0]!), 2, 'the new root CRL is first');
  t.equal((await publishCrl(layout.dir, o)).republished, false, 'then nothing to do');
  const published = await readFile(layout.ca.crl, 'ascii');
  await writeFile(layout.ca.rootCrl, first);
  await t.rejects(publishCrl(layout.dir, { ...o, force: true }), { code: 'STATE_INVALID', message: /older than the one published/ }, 'an older root CRL never replaces a newer one');
  t.equal(await readFile(layout.ca.crl, 'ascii'), published);
});

void t.test('concurrent writers are serialized: every serial lands, numbers strictly increase', async (t) => {
  const layout = await devPki(t);
  const o = { random, clock: systemClock };
  const serials = Array.from({ length: 12 }, (_, i) => `4${i.toString(16)}${'ab'.repeat(15)}`);
  const results = await Promise.all([
    ...serials.map((serial) => revokeSerials(layout.dir, [{ serial, reason: 'superseded' }], o)),
    publishCrl(layout.dir, { ...o, force: true }),
    publishCrl(layout.dir, { ...o, force: true }),
  ]);
  t.equal(results.length, 14);
  const l = await list(layout.ca.revoked);
  t.same(l.revoked.map((e) => e.serial).sort(), [...serials].sort(), 'every serial on the list');
  const [, issuing] = await crls(layout);
  t.same(issuing!.entries.map((e) => e.serialNumber.toLowerCase()).sort(), [...serials].sort(), 'and on the CRL');
  t.equal(crlNumber(issuing!), 15, 'one number per re-signing (12 revocations, 2 forced), from 1');
  t.equal(l.crlNumber, 15);
  await t.rejects(readFile(layout.ca.lock), { code: 'ENOENT' }, 'the lock is released');
});

/**
 * Expired certificates leave the issuing CA's CRL (provisioning/pki/
 * issuing-crl.ts with revocation-list.ts pruneExpired): an entry given with
 * its certificate's notAfter stays until a CRL issued after that date has
 * listed it (RFC 5280 §3.3, §5.1.2.6), then leaves the CRL, then the list;
 * an entry without notAfter stays for good; revoked.json always covers the
 * CRL published from it.
 */
import t from 'tap';
import { readFile } from 'node:fs/promises';
import { FakeClock } from '../../../common/clock.js';
import { publishCrl, revokeSerials } from '../../../provisioning/pki/issuing.js';
import { parseRevocationList } from '../../../provisioning/pki/revocation-list.js';
import { crls, DAY, devPki, random } from './helpers.js';

const T0 = Date.UTC(2031, 4, 1, 12, 0, 0);
const SOON = '4a5b6c7d8e9f00112233445566778899';
const NEVER = '5a5b6c7d8e9f00112233445566778899';
const LATER = '6a5b6c7d8e9f00112233445566778899';

void t.test('expired entries leave the CRL, then revoked.json; entries without notAfter stay', async (t) => {
  const clock = new FakeClock(T0);
  const layout = await devPki(t, { clock });
  const o = { random, clock };
  const onCrl = async (): Promise<string[]> => (await crls(layout))[1]!.entries.map((e) => e.serialNumber.toLowerCase()).sort();
  const inList = async (): Promise<string[]> => parseRevocationList(await readFile(layout.ca.revoked, 'utf8'), 'x').revoked.map((e) => e.serial).sort();

  await revokeSerials(layout.dir, [
    { serial: SOON, reason: 'superseded', notAfter: new Date(T0 + 2 * DAY) },
    { serial: NEVER, reason: 'keyCompromise' },
    { serial: LATER, reason: 'superseded', notAfter: new Date(T0 + 400 * DAY) },
  ], o);
  const listed = parseRevocationList(await readFile(layout.ca.revoked, 'utf8'), 'x').revoked;
  t.equal(listed.find((e) => e.serial === SOON)?.notAfter, new Date(T0 + 2 * DAY).toISOString(), 'notAfter kept in revoked.json');
  t.equal(listed.find((e) => e.serial === NEVER)?.notAfter, undefined);
  t.same(await onCrl(), [SOON, NEVER, LATER].sort());

  clock.advance(3 * DAY);
  await publishCrl(layout.dir, { ...o, force: true });
  t.same(await onCrl(), [SOON, NEVER, LATER].sort(), 'expired, but no CRL issued after its expiry listed it yet: still on this one');

  clock.advance(1 * DAY);
  await publishCrl(layout.dir, { ...o, force: true });
  t.same(await onCrl(), [NEVER, LATER].sort(), 'the next CRL leaves it off');
  t.same(await inList(), [SOON, NEVER, LATER].sort(), 'revoked.json still has it: it covers the CRL published before');

  clock.advance(4 * DAY);
  const p = await publishCrl(layout.dir, o);
  t.equal(p.republished, true, 'the regular re-signing past half-life');
  t.same(await inList(), [NEVER, LATER].sort(), 'then it leaves revoked.json');
  t.same(await onCrl(), [NEVER, LATER].sort());

  clock.advance(500 * DAY);
  for (let i = 0; i < 3; i++) await publishCrl(layout.dir, { ...o, force: true }); // listed after expiry, left off, dropped
  t.same(await inList(), [NEVER], 'an entry without notAfter stays for good');
  t.same(await onCrl(), [NEVER]);
});

void t.test('a listed serial gets its notAfter later (the center heals the CRL with it); a bad notAfter is refused', async (t) => {
  const clock = new FakeClock(T0);
  const layout = await devPki(t, { clock });
  const o = { random, clock };
  await revokeSerials(layout.dir, [{ serial: NEVER, reason: 'superseded' }], o);
  const r = await revokeSerials(layout.dir, [{ serial: NEVER, reason: 'keyCompromise', notAfter: new Date(T0 + DAY) }], o);
  t.same(r.added, []);
  const [e] = parseRevocationList(await readFile(layout.ca.revoked, 'utf8'), 'x').revoked;
  t.same(e, { serial: NEVER, date: new Date(T0).toISOString(), reason: 'superseded', notAfter: new Date(T0 + DAY).toISOString() }, 'first date and reason kept, notAfter filled');
  await t.rejects(revokeSerials(layout.dir, [{ serial: LATER, reason: 'superseded', notAfter: new Date(Number.NaN) }], o), { code: 'INVALID_ARGUMENT', message: /notAfter/ });
});

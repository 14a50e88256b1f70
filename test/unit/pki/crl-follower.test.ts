/**
 * center/fleet/crl.ts CrlFollower with center/fleet/crl-check.ts: the
 * broker reloads ca/crl.pem only when each block is signed by this PKI's
 * root or issuing CA and neither cRLNumber went down. An older, validly
 * signed CRL copied over the file must not un-revoke anything.
 */
import t, { type Test } from 'tap';
import { copyFile, readFile, writeFile } from 'node:fs/promises';
import { FakeClock } from '../../../common/clock.js';
import { memoryLogger } from '../../../common/log.js';
import { pemBlocks } from '../../../common/pem-blocks.js';
import { CrlFollower } from '../../../center/fleet/crl.js';
import { publishCrl, revokeSerials } from '../../../provisioning/pki/issuing.js';
import { devPki, random, tmp } from './helpers.js';

const T0 = Date.UTC(2031, 4, 1, 12, 0, 0);
const S1 = '4a5b6c7d8e9f00112233445566778899';
const S2 = '5a5b6c7d8e9f00112233445566778899';

async function setup(t: Test) {
  const clock = new FakeClock(T0);
  const layout = await devPki(t, { clock });
  const loaded: string[][] = [];
  const log = memoryLogger();
  const follower = new CrlFollower(layout.dir, (crls) => loaded.push(crls), log);
  const blocks = async (): Promise<string[]> => pemBlocks(await readFile(layout.ca.crl, 'ascii'), 'X509 CRL');
  return { clock, layout, loaded, log, follower, blocks, o: { random, clock } };
}

void t.test('an older CRL copied over crl.pem is not loaded; newer ones are', async (t) => {
  const { layout, loaded, log, follower, blocks, o } = await setup(t);
  follower.started(await blocks());
  t.equal(await follower.refresh(), false, 'unchanged');
  const old = `${await tmp(t)}/crl-1.pem`;
  await copyFile(layout.ca.crl, old);

  await revokeSerials(layout.dir, [{ serial: S1, reason: 'keyCompromise' }], o);
  t.equal(await follower.refresh(), true, 'CRL 2 (S1 revoked) loaded');
  t.same(loaded.at(-1), await blocks());

  await copyFile(old, layout.ca.crl);
  await t.rejects(follower.refresh(), { name: 'CrlCheckError', code: 'CRL_OLDER', message: /number 1 is older than the one loaded \(2\)/ });
  t.equal(loaded.length, 1, 'the broker keeps CRL 2: S1 stays revoked');
  await t.rejects(follower.refresh(true), { code: 'CRL_OLDER' }, 'force does not skip the check');
  t.equal(log.lines.filter((l) => l.includes('"level":"error"') && l.includes('crl.pem refused')).length, 1, 'logged once (error) for the same file');
  t.notMatch(log.lines.join(''), /BEGIN/, 'no PEM in the log');

  await publishCrl(layout.dir, { ...o, force: true });
  t.equal(await follower.refresh(), true, 'a newer CRL (3, re-signed from revoked.json) loads again');
  t.equal(loaded.length, 2);
});

void t.test('the CRLs the broker started with set the floor', async (t) => {
  const { layout, loaded, follower, blocks, o } = await setup(t);
  const first = await readFile(layout.ca.crl, 'ascii');
  await revokeSerials(layout.dir, [{ serial: S1, reason: 'superseded' }], o);
  await revokeSerials(layout.dir, [{ serial: S2, reason: 'superseded' }], o);
  follower.started(await blocks());
  await writeFile(layout.ca.crl, first);
  await t.rejects(follower.refresh(), { code: 'CRL_OLDER' });
  t.same(loaded, []);
});

void t.test('blocks not signed by this PKI, or not one CRL per CA, are refused', async (t) => {
  const { layout, loaded, follower, blocks } = await setup(t);
  follower.started(await blocks());
  const [root, issuing] = await blocks();
  const other = await devPki(t);
  const [foreignRoot, foreignIssuing] = pemBlocks(await readFile(other.ca.crl, 'ascii'), 'X509 CRL');
  const cases: [string, string, string][] = [
    ["another PKI's issuing CRL", root! + foreignIssuing!, 'CRL_UNSIGNED'],
    ["another PKI's root CRL", foreignRoot! + issuing!, 'CRL_UNSIGNED'],
    ['only the root CRL', root!, 'CRL_INVALID'],
    ['the issuing CRL twice', root! + issuing! + issuing!, 'CRL_INVALID'],
    ['a block that is no CRL', root! + issuing!.replace(/\n[A-Za-z0-9+/]{8}/, '\nAAAAAAAA'), 'CRL_INVALID'],
  ];
  for (const [what, text, code] of cases) {
    await writeFile(layout.ca.crl, text);
    await t.rejects(follower.refresh(), { code }, what);
  }
  t.same(loaded, [], 'nothing reached the broker');
  await writeFile(layout.ca.crl, root! + issuing!);
  t.equal(await follower.refresh(), false, 'the file as loaded: unchanged');
});

/**
 * The simulated reader's Ed25519 identity (hardware/sim/reader-key.ts):
 * the RFC 8032 test vector through our files, signatures that @noble
 * verifies against reader.pub, and the refusals of bad key files.
 */
import t from 'tap';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { chmod, mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ed25519 } from '@noble/curves/ed25519.js';
import { hex, toHex } from '../../../card/bytes.js';
import { SimReaderIdentity } from '../../../hardware/sim/reader-key.js';
import { SimStation } from '../../../hardware/sim/sim-station.js';
import { KMC } from './station-helpers.js';

// RFC 8032 §7.1, TEST 1: the empty message.
const SK = '9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60';
const PK = 'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a';
const SIG =
  'e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b';
const fixed = (n: number): Uint8Array => (n === 32 ? hex(SK) : new Uint8Array(n));

void t.test('create: the RFC 8032 vector through the files; default id; signatures verify against reader.pub', async (t) => {
  const dir = t.testdir();
  const id = await SimReaderIdentity.create(dir, { random: fixed });
  t.equal(readFileSync(join(dir, 'reader.key'), 'utf8'), `${SK}\n`);
  t.equal(readFileSync(join(dir, 'reader.pub'), 'utf8'), `${PK}\n`);
  t.equal(statSync(join(dir, 'reader.key')).mode & 0o777, 0o600);
  t.equal(id.publicKeyHex, PK);
  t.equal(id.id, 'sim-d75a9801', 'sim- and the first 8 hex digits of the public key');
  t.equal(id.kind, 'sim');
  t.equal(toHex((await id.sign(new Uint8Array(0)))!).toLowerCase(), SIG, 'RFC 8032 TEST 1 signature');

  const loaded = await SimReaderIdentity.load(dir);
  const msg = new TextEncoder().encode('cardline reader challenge 0001');
  const sig = (await loaded.sign(msg))!;
  const pub = hex(readFileSync(join(dir, 'reader.pub'), 'utf8').trim());
  t.ok(ed25519.verify(sig, msg, pub), 'verifies with @noble against reader.pub');
  t.notOk(ed25519.verify(sig, new TextEncoder().encode('cardline reader challenge 0002'), pub), 'not for another message');
  t.equal((await SimReaderIdentity.load(dir, 'reader-42')).id, 'reader-42', 'an id given on load');
  loaded.destroy();
  await t.rejects(loaded.sign(msg), { code: 'CLOSED' });
});

void t.test('create: random keys differ; an existing key is never overwritten; ids are checked', async (t) => {
  const a = await SimReaderIdentity.create(join(t.testdir({ a: {}, b: {} }), 'a'));
  const b = await SimReaderIdentity.create(join(t.testdirName, 'b'));
  t.not(a.publicKeyHex, b.publicKeyHex);
  t.match(a.id, /^sim-[0-9a-f]{8}$/);
  await t.rejects(SimReaderIdentity.create(join(t.testdirName, 'a')), { code: 'EXISTS' });
  t.equal((await SimReaderIdentity.load(join(t.testdirName, 'a'))).publicKeyHex, a.publicKeyHex, 'the first key is kept');
  await t.rejects(SimReaderIdentity.create(join(t.testdirName, 'c-missing')), { code: 'NOT_FOUND' });
  const pubOnly = t.testdir({ 'reader.pub': `${PK}\n` });
  await t.rejects(SimReaderIdentity.create(pubOnly), { code: 'EXISTS' });
  t.same(readdirSync(pubOnly), ['reader.pub'], 'no key left behind by a refused create');
  await t.rejects(SimReaderIdentity.create(t.testdir({ x: {} }), { id: 'has space' }), { code: 'ARGUMENT_INVALID' });
  await t.rejects(SimReaderIdentity.create(join(t.testdirName, 'x'), { random: () => new Uint8Array(16) }), { code: 'ARGUMENT_INVALID' });
});

void t.test('load refuses bad key files and never quotes them', async (t) => {
  const cases: { name: string; key?: string; pub?: string; keyMode?: number; code: string }[] = [
    { name: 'key readable by group', keyMode: 0o640, code: 'KEY_MODE' },
    { name: 'key readable by others', keyMode: 0o604, code: 'KEY_MODE' },
    { name: 'key not hex', key: `${'zz'.repeat(32)}\n`, code: 'KEY_INVALID' },
    { name: 'key too short', key: `${SK.slice(0, 62)}\n`, code: 'KEY_INVALID' },
    { name: 'key too long', key: `${SK}00\n`, code: 'KEY_INVALID' },
    { name: 'key empty', key: '', code: 'KEY_INVALID' },
    { name: 'key oversized', key: '0'.repeat(70_000), code: 'KEY_INVALID' },
    { name: 'pub not hex', pub: `${'gg'.repeat(32)}\n`, code: 'KEY_INVALID' },
    { name: 'pub of another key', pub: `${'11'.repeat(32)}\n`, code: 'KEY_MISMATCH' },
  ];
  for (const c of cases) {
    const dir = t.testdir();
    await SimReaderIdentity.create(dir, { random: fixed });
    if (c.key !== undefined) await writeFile(join(dir, 'reader.key'), c.key);
    if (c.pub !== undefined) await writeFile(join(dir, 'reader.pub'), c.pub);
    if (c.keyMode !== undefined) await chmod(join(dir, 'reader.key'), c.keyMode);
    const err = await SimReaderIdentity.load(dir).then(
      () => undefined,
      (e: unknown) => e as Error & { code: string },
    );
    t.equal(err?.code, c.code, c.name);
    t.notMatch(err?.message ?? '', new RegExp(`${SK.slice(0, 16)}|zzzz`), `${c.name}: no key material in the message`);
  }
  const dir = t.testdir();
  await t.rejects(SimReaderIdentity.load(dir), { code: 'NOT_FOUND' });
  await SimReaderIdentity.create(dir, { random: fixed });
  await rm(join(dir, 'reader.key'));
  await mkdir(join(dir, 'reader.key'));
  await t.rejects(SimReaderIdentity.load(dir), { code: 'KEY_INVALID', message: /not a regular file/ });
});

void t.test('a station with a bad reader key does not open; its identity signs for the registry', async (t) => {
  const dir = join(t.testdir(), 'station');
  const s = await SimStation.create({ dir, count: 1, stockMasterKey: KMC });
  const msg = new TextEncoder().encode('challenge');
  t.ok(ed25519.verify((await s.identity.sign(msg))!, msg, s.identity.publicKey));
  await s.close();
  await chmod(join(dir, 'reader.key'), 0o644);
  await t.rejects(SimStation.open(dir), { code: 'KEY_MODE' });
  await chmod(join(dir, 'reader.key'), 0o600);
  await writeFile(join(dir, 'reader.key'), 'not a key\n');
  await t.rejects(SimStation.open(dir), { code: 'KEY_INVALID' });
});

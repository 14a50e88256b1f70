/**
 * kiosk/registry-file.ts: the signed registry is written whole, and only
 * when it changed — the same registry arrives with every welcome, and on a
 * read-only root a write at each reconnect would only fail and warn.
 */
import t from 'tap';
import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { saveSignedRegistry } from '../../../kiosk/registry-file.js';
import type { SignedRegistry } from '../../../wire/registry.js';

const A: SignedRegistry = { r: 'eyJ2IjoxfQ', s: 'c2lnbmF0dXJlQQ' };
const B: SignedRegistry = { r: 'eyJ2IjoyfQ', s: 'c2lnbmF0dXJlQg' };

void t.test('written when new or changed, left alone when the same', async (t) => {
  const dir = t.testdir();
  const path = join(dir, 'registry.json');
  t.equal(await saveSignedRegistry(path, A), true, 'a first registry is written');
  t.same(JSON.parse(await readFile(path, 'utf8')), A);
  const first = await stat(path);
  t.equal(await saveSignedRegistry(path, A), false, 'the same registry again: not written');
  const again = await stat(path);
  t.equal(again.ino, first.ino, 'the file was not replaced (same inode)');
  t.equal(again.mtimeMs, first.mtimeMs, 'nor touched');
  t.same(await readdir(dir), ['registry.json'], 'no temp file left');
  t.equal(await saveSignedRegistry(path, B), true, 'a changed registry is written');
  t.same(JSON.parse(await readFile(path, 'utf8')), B);
  t.not((await stat(path)).ino, first.ino, 'replaced by rename');
});

void t.test('a damaged file is replaced by the registry', async (t) => {
  const path = join(t.testdir(), 'registry.json');
  await writeFile(path, '{"r":"truncat');
  t.equal(await saveSignedRegistry(path, A), true);
  t.same(JSON.parse(await readFile(path, 'utf8')), A);
});

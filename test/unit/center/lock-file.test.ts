/** The PGlite data directory's lock file: held, refused, stale, garbled, released. */
import t from 'tap';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { acquireLockFile } from '../../../center/store/lock-file.js';
import { memoryLogger, silentLogger } from '../../../common/log.js';

void t.test('held by us: a second take is refused; release frees it', async (t) => {
  const path = join(t.testdir(), 'cardline.lock');
  const lock = await acquireLockFile(path, silentLogger);
  t.equal(await readFile(path, 'utf8'), `${process.pid}\n`);
  await t.rejects(acquireLockFile(path, silentLogger), { code: 'LOCKED', message: new RegExp(`pid ${process.pid}`) });
  await lock.release();
  await lock.release(); // idempotent
  await t.rejects(readFile(path), { code: 'ENOENT' });
  const again = await acquireLockFile(path, silentLogger);
  await again.release();
});

void t.test('a stale or garbled lock is replaced with a warning', async (t) => {
  const path = join(t.testdir(), 'cardline.lock');
  for (const content of ['4194305\n', 'not a pid', '']) {
    await writeFile(path, content);
    const log = memoryLogger();
    const lock = await acquireLockFile(path, log);
    t.match(log.lines.join(''), /replacing a stale lock file/, JSON.stringify(content));
    t.equal(await readFile(path, 'utf8'), `${process.pid}\n`);
    await lock.release();
  }
});

void t.test('release leaves a lock that is no longer ours', async (t) => {
  const path = join(t.testdir(), 'cardline.lock');
  const lock = await acquireLockFile(path, silentLogger);
  await writeFile(path, `${process.ppid}\n`); // someone replaced it meanwhile
  await lock.release();
  t.equal(await readFile(path, 'utf8'), `${process.ppid}\n`);
  await t.rejects(acquireLockFile(path, silentLogger), { code: 'LOCKED', message: new RegExp(`pid ${process.ppid}`) }, 'a live other process');
});

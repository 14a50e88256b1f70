/**
 * The store contract on a private PostgreSQL 15 server (test/fixtures), plus
 * what only PostgreSQL has: several processes migrating one database at
 * once (advisory lock), idle connections dropped by the server (logged, not
 * fatal), and a URL password that never shows in errors or logs.
 */
import t from 'tap';
import pg from 'pg';
import type { Db } from '../../../center/store/db.js';
import { migrate } from '../../../center/store/migrate.js';
import { MIGRATIONS } from '../../../center/store/migrations/index.js';
import { openStore } from '../../../center/store/open.js';
import { openPostgres } from '../../../center/store/postgres.js';
import { memoryLogger, silentLogger } from '../../../common/log.js';
import { startPostgres } from '../../fixtures/postgres-server.js';
import { storeContract } from '../../contract/store.contract.js';

const server = await startPostgres(t);
// Trust authentication ignores the password: it is here to prove it is never shown.
const SECRET = 'hunter2-not-shown';
const urlFor = (db: string): string => `postgres://postgres:${SECRET}@127.0.0.1:${server.port}/${db}`;

async function admin(sql: string): Promise<number> {
  const c = new pg.Client({ connectionString: urlFor('postgres') });
  await c.connect();
  try {
    return (await c.query(sql)).rowCount ?? 0;
  } finally {
    await c.end();
  }
}

const logger = memoryLogger();
storeContract('PostgreSQL', { open: () => openStore({ url: urlFor('cardline') }, logger), openPeer: () => openStore({ url: urlFor('cardline') }, logger) });

void t.test('concurrent centers migrate one database once', async (t) => {
  await admin('CREATE DATABASE race');
  const dbs: Db[] = await Promise.all([1, 2, 3].map(() => openPostgres(urlFor('race'), silentLogger, { max: 2 })));
  t.teardown(() => Promise.all(dbs.map((d) => d.close())));
  const applied = await Promise.all(dbs.map((d) => migrate(d, silentLogger)));
  const ids = MIGRATIONS.map((m) => m.id);
  t.same(
    applied.flat().sort((a, b) => a - b),
    ids,
    'each migration applied by exactly one of them',
  );
  const rows = await dbs[0]!.query<{ id: number }>('SELECT id FROM schema_migrations ORDER BY id');
  t.same(
    rows.rows.map((r) => r.id),
    ids,
  );
});

void t.test('a connection the server drops while idle is logged and replaced', async (t) => {
  const log = memoryLogger();
  const db = await openPostgres(urlFor('cardline'), log, { max: 2 });
  t.teardown(() => db.close());
  await Promise.all([db.query('SELECT pg_sleep(0.05)'), db.query('SELECT pg_sleep(0.05)')]);
  const killed = await admin("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = 'cardline' AND pid <> pg_backend_pid()");
  t.equal(killed, 2, 'both idle pool connections were terminated');
  // Each dropped connection is reported on its own; the pool is only whole again once both are out.
  const failures = (): number => log.lines.filter((l) => l.includes('idle PostgreSQL connection failed')).length;
  for (let i = 0; i < 250 && failures() < killed; i++) await new Promise((r) => setTimeout(r, 20));
  t.equal(failures(), killed, 'every dropped connection was logged');
  t.same((await db.query<{ one: number }>('SELECT 1 AS one')).rows, [{ one: 1 }], 'the pool still works');
  t.notMatch(log.lines.join(''), SECRET, 'no password in the logs');
});

void t.test('openStore passes the pool sizes (--db-pool, --db-lock-connections) through', async (t) => {
  const log = memoryLogger();
  const db = await openStore({ url: urlFor('cardline'), pool: 3, lockConnections: 2 }, log);
  t.teardown(() => db.close());
  const opened = log.lines.find((l) => l.includes('store opened'));
  t.match(opened, /"max":3,"lockConnections":2/);
  // Three queries at once are served by three connections of the pool.
  const busy = await Promise.all([1, 2, 3].map(() => db.query<{ pid: number }>('SELECT pg_backend_pid() AS pid FROM pg_sleep(0.1)')));
  t.equal(new Set(busy.map((r) => r.rows[0]!.pid)).size, 3, 'three connections served three queries at once');
});

void t.test('connection failures and bad URLs never show the password', async (t) => {
  // The server's port with a database that does not exist, then a closed port.
  await t.rejects(openPostgres(urlFor('no_such_db'), silentLogger), { code: 'OPEN_FAILED', message: /cannot connect to postgres:\/\/postgres:\*\*\*@127\.0\.0\.1:\d+\/no_such_db/ });
  const err = await openPostgres(`postgres://u:${SECRET}@127.0.0.1:1/x`, silentLogger).then(
    () => new Error('opened'),
    (e: unknown) => e as Error,
  );
  t.match(err, { code: 'UNREACHABLE' }, 'a closed port: no server answered (retry later), not a configuration error');
  t.notMatch(err.message, SECRET);
  for (const bad of [`mysql://u:${SECRET}@h/x`, `u:${SECRET}@h/x`, `http://u:${SECRET}@h/x`, '', 'not a url']) {
    const e = await openStore({ url: bad }, silentLogger).then(
      () => new Error('opened'),
      (x: unknown) => x as Error,
    );
    t.match(e, { code: 'OPEN_FAILED' }, `refused: ${bad.replace(SECRET, '***')}`);
    t.notMatch(e.message, SECRET);
  }
  t.notMatch(logger.lines.join(''), SECRET, 'the contract run logged no password either');
});

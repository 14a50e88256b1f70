/**
 * The fleet's leader (center/fleet/leader.ts) on a real PostgreSQL: one
 * worker holds the lead, another's acquire says no at once (it does not
 * wait); when the leader's session ends — closed, or terminated by the
 * server as when its process dies — the other takes over at its next ask,
 * and the old leader knows it no longer leads.
 */
import t from 'tap';
import pg from 'pg';
import { fleetLeader, LEADER_KEY, PgFleetLeader, soleLeader } from '../../../center/fleet/leader.js';
import { KEY_LOCK_CLASS } from '../../../center/store/pg-lock.js';
import { startPostgres } from '../../fixtures/postgres-server.js';
import { recordingLogger } from '../../fixtures/recording-log.js';
import { eventually } from '../../fixtures/rig.js';

const server = await startPostgres(t);

/** Ends the session holding the lead from outside (what the server does for a worker killed -9). */
async function terminateHolder(): Promise<number> {
  const admin = new pg.Client({ connectionString: server.url });
  await admin.connect();
  try {
    const r = await admin.query<{ ok: boolean }>(
      `SELECT pg_terminate_backend(pid) AS ok FROM pg_locks WHERE locktype = 'advisory' AND granted AND classid = $1::int::oid AND objid = hashtext($2)::oid`,
      [KEY_LOCK_CLASS, LEADER_KEY],
    );
    return r.rows.filter((x) => x.ok).length;
  } finally {
    await admin.end();
  }
}

void t.test('one leader at a time; the other takes over when its session ends', async (t) => {
  const logA = recordingLogger('a');
  const a = new PgFleetLeader(server.url, logA);
  const b = new PgFleetLeader(server.url, recordingLogger('b'));
  t.teardown(() => Promise.all([a.close(), b.close()]));
  t.equal(await a.acquire(), true, 'the first to ask leads');
  t.equal(await b.acquire(), false, 'the second does not (and did not wait)');
  t.equal(await a.acquire(), true, 'the leader keeps the lead');
  t.equal(await b.acquire(), false);

  t.equal(await terminateHolder(), 1, 'the leader\'s session terminated by the server');
  await eventually(() => !a.leading, 'the old leader seeing its lead lost');
  t.ok(logA.lines.some((l) => l.includes('fleet lead lost')), 'logged: lead lost');
  t.equal(await b.acquire(), true, 'the other worker takes over');
  t.equal(await a.acquire(), false, 'the old leader reconnects as a follower');

  await b.close();
  t.equal(await b.acquire(), false, 'a closed leader never leads again');
  t.equal(await a.acquire(), true, 'the lead given up on close is taken by the other');
});

void t.test('every center leads with the embedded broker or on PGlite', async (t) => {
  const log = recordingLogger('x');
  t.ok(fleetLeader({ url: server.url }, 'external', log) instanceof PgFleetLeader, 'external on PostgreSQL: the lock');
  for (const l of [fleetLeader({ url: server.url }, 'embedded', log), fleetLeader({ dataDir: '/nowhere' }, 'external', log)]) {
    t.notOk(l instanceof PgFleetLeader);
    t.equal(await l.acquire(), true);
    await l.close();
    t.equal(await l.acquire(), false, 'not after close');
  }
  const s = soleLeader();
  t.equal(s.leading, true);
});

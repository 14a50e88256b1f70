/**
 * Issue 3 point 6, "Happy path", on PostgreSQL (`--database postgres://…`):
 * the same end-to-end scenario as happy.test.ts (happy-path.ts), with the
 * center's store in a private PostgreSQL server that this test starts
 * itself (initdb into a temp dir, a free loopback port) and removes again:
 * never a server that happens to be running.
 */
import t from 'tap';
import { startPostgres } from '../../fixtures/postgres-server.js';
import { startRig } from '../../fixtures/rig.js';
import { happyPath } from './happy-path.js';

void t.test('one card issued end to end on PostgreSQL', async (t) => {
  const pg = await startPostgres(t);
  const rig = await startRig(t, { store: { url: pg.url } });
  t.equal(rig.center.deps.db.kind, 'postgres', 'the center runs on PostgreSQL');
  await happyPath(t, rig);
  // The center first (its final checkpoint goes to the database), then the server.
  await rig.stop();
});

/**
 * `cardline center kiosks revoke` on a real PGlite store and dev PKI: the
 * first revoke changes the kiosk, puts its certificate on the CRL and is
 * audited; revoking it again changes nothing, is not audited, and says so
 * (exit 0: the kiosk is revoked, as asked). An unknown kiosk is an error
 * (exit 1). (--json: test/integration/fleet/cli-fleet-ops.test.ts.)
 */
import t from 'tap';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { kioskAddCommand, kioskRevokeCommand } from '../../../cli/commands/center-admin.js';
import { openStore } from '../../../center/store/open.js';
import { FakeClock, systemClock } from '../../../common/clock.js';
import { silentLogger } from '../../../common/log.js';
import { initDevPki } from '../../../provisioning/pki/dev-pki.js';
import { sealDevKiosk } from '../../../kiosk/keystore/index.js';
import { runCommands } from '../../fixtures/cli-run.js';
import { random } from '../../fixtures/rig.js';

const dir = await mkdtemp(join(tmpdir(), 'cardline-kiosks-cli-'));
t.teardown(() => rm(dir, { recursive: true, force: true }));
const pki = join(dir, 'pki');
await initDevPki(pki, { kiosks: ['kiosk-1'], random, clock: systemClock, sealKiosk: sealDevKiosk });
const data = join(dir, 'data');
const store = ['--pki', pki, '--data', data];
// Today's time: the CRL the command re-signs is dated by it.
const cli = (args: string[]): ReturnType<typeof runCommands> => runCommands(args, [kioskAddCommand, kioskRevokeCommand], { clock: new FakeClock(Date.now()) });

void t.test('revoke, then revoke again: the second changes nothing and says so', async (t) => {
  t.equal((await cli(['center', 'kiosks', 'add', ...store, '--kiosk', 'kiosk-1'])).code, 0);
  const first = await cli(['center', 'kiosks', 'revoke', ...store, '--kiosk', 'kiosk-1', '--reason', 'lost']);
  t.equal(first.code, 0, first.err);
  t.equal(first.out, 'kiosk kiosk-1 revoked\n1 certificate on the CRL (ca/crl.pem re-signed)\n');
  const again = await cli(['center', 'kiosks', 'revoke', ...store, '--kiosk', 'kiosk-1', '--reason', 'lost again']);
  t.equal(again.code, 0, again.err);
  t.equal(again.out, 'kiosk kiosk-1 was already revoked (nothing changed)\n1 certificate already on the CRL\n');
  const unknown = await cli(['center', 'kiosks', 'revoke', ...store, '--kiosk', 'kiosk-9']);
  t.equal(unknown.code, 1);
  t.match(unknown.err, /KIOSK_UNKNOWN: no kiosk kiosk-9/);
  const db = await openStore({ dataDir: data }, silentLogger);
  try {
    const entries = (await db.query<{ entry: string }>(`SELECT entry FROM audit_entries WHERE entry LIKE '%"kind":"kiosk.status"%'`)).rows;
    t.equal(entries.length, 1, 'one kiosk.status entry');
    t.match(entries[0]!.entry, '"reason":"lost"');
  } finally {
    await db.close();
  }
});

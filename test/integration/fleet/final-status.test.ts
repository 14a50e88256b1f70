/**
 * What stays true after a revocation (docs/provisioning.md §4): a
 * decommissioned kiosk stays decommissioned (a later `revoke`, from the
 * running center, the registry or the CLI, is refused and changes nothing);
 * each certificate keeps the CRL reason it was revoked with
 * (kiosk_certs.revocation_reason), and the fleet watcher's hourly healing
 * lists it again with that reason — cessationOfOperation for a
 * decommissioned kiosk, privilegeWithdrawn for a revoked one, superseded
 * for a superseded certificate — not all as privilegeWithdrawn; and each
 * entry goes to the CA with its certificate's notAfter (kiosk_certs.not_after),
 * so that the CA can drop it from the CRL once the certificate has expired.
 */
import t from 'tap';
import type { FleetCa, CrlReason } from '../../../center/fleet/ca.js';
import { revokeInRegistry } from '../../../center/fleet/revoke.js';
import { FleetWatcher } from '../../../center/fleet/watcher.js';
import { getKiosk, setKioskStatus } from '../../../center/registry.js';
import { kioskRevokeCommand } from '../../../cli/commands/center-admin.js';
import { pkiFleetCa } from '../../../cli/commands/fleet-ca.js';
import { FakeClock } from '../../../common/clock.js';
import { runCommands } from '../../fixtures/cli-run.js';
import { startFleetRig } from './fleet-rig.js';

/** The CRL entries the center asked for, by serial. */
const listed = new Map<string, CrlReason>();
/** Their certificates' ends, as the center passed them (so that the CA can prune expired entries). */
const ends = new Map<string, number | undefined>();
const recordingCa: FleetCa = {
  certify: (dir, csr, o) => pkiFleetCa.certify(dir, csr, o),
  async revokeSerials(dir, entries, o) {
    for (const e of entries) listed.set(e.serial, e.reason);
    for (const e of entries) ends.set(e.serial, e.notAfter?.getTime());
    return pkiFleetCa.revokeSerials(dir, entries, o);
  },
  publishCrl: (dir, o) => pkiFleetCa.publishCrl(dir, o),
};

const rig = await startFleetRig(t, { kiosks: ['kiosk-h1', 'kiosk-h2', 'kiosk-h3'], fleetCa: recordingCa });
const { center } = rig;
const d = center.deps;
const reg = { db: d.db, audit: d.audit, clock: d.clock };

void t.test('the registry keeps each certificate\'s CRL reason; the watcher\'s healing lists it with that reason', async (t) => {
  // As `center kiosks decommission|revoke` do offline when the CA is not at hand: the registry only.
  await revokeInRegistry(reg, 'kiosk-h1', 'end of site', { status: 'decommissioned' });
  await revokeInRegistry(reg, 'kiosk-h2', 'stolen');
  const now = Date.now();
  await d.db.query(
    `INSERT INTO kiosk_certs (serial, kiosk_id, fingerprint, not_after, state, source, issued_at, revoked_at, revocation_reason) VALUES ('5e5e', 'kiosk-h3', 'FP:5E', $1, 'superseded', 'renewal', $2, $2, 'superseded')`,
    [new Date(now + 30 * 86_400_000), new Date(now)],
  );
  const reasons = (await d.db.query<{ serial: string; revocation_reason: string }>('SELECT serial, revocation_reason FROM kiosk_certs WHERE revoked_at IS NOT NULL ORDER BY serial')).rows;
  t.same(
    Object.fromEntries(reasons.map((r) => [r.serial, r.revocation_reason])),
    { [rig.serialOf('kiosk-h1')]: 'cessationOfOperation', [rig.serialOf('kiosk-h2')]: 'privilegeWithdrawn', '5e5e': 'superseded' },
    'recorded per certificate',
  );
  listed.clear();
  // The watcher's first pass runs its hourly steps (the CRL healed from the registry).
  await new FleetWatcher(d, d.fleet.link!).pass();
  t.equal(listed.get(rig.serialOf('kiosk-h1')), 'cessationOfOperation', 'the decommissioned kiosk\'s certificate: cessationOfOperation');
  t.equal(listed.get(rig.serialOf('kiosk-h2')), 'privilegeWithdrawn', 'the revoked kiosk\'s: privilegeWithdrawn');
  t.equal(listed.get('5e5e'), 'superseded', 'the superseded one: superseded');
  const notAfter = Object.fromEntries((await d.db.query<{ serial: string; not_after: Date }>('SELECT serial, not_after FROM kiosk_certs')).rows.map((r) => [r.serial, r.not_after.getTime()]));
  for (const serial of [rig.serialOf('kiosk-h1'), rig.serialOf('kiosk-h2'), '5e5e']) t.equal(ends.get(serial), notAfter[serial], `${serial} listed with its certificate's notAfter`);
});

void t.test("a revocation by the running center passes each certificate's notAfter to the CA", async (t) => {
  ends.clear();
  const r = await center.revokeKiosk('kiosk-h3', 'lost');
  t.equal(r.crl, 'updated');
  const row = (await d.db.query<{ not_after: Date }>('SELECT not_after FROM kiosk_certs WHERE serial = $1', [rig.serialOf('kiosk-h3')])).rows[0]!;
  t.equal(ends.get(rig.serialOf('kiosk-h3')), row.not_after.getTime());
});

void t.test('decommissioned is final: revoke is refused everywhere and changes nothing', async (t) => {
  const before = (await rig.audit()).length;
  await t.rejects(setKioskStatus(reg, 'kiosk-h1', 'revoked', 'again'), { code: 'KIOSK_UNCHANGED', message: /decommissioned/ }, 'the registry');
  await t.rejects(center.revokeKiosk('kiosk-h1', 'again'), { code: 'KIOSK_UNCHANGED', message: /decommissioned/ }, 'the running center (and the console through it)');
  await t.rejects(setKioskStatus(reg, 'kiosk-h1', 'active', 'back'), { code: 'KIOSK_UNCHANGED' }, 'not even back to active');
  t.equal((await getKiosk(d.db, 'kiosk-h1'))?.status, 'decommissioned');
  t.equal((await rig.audit()).length, before, 'nothing audited');
  // The CLI, offline (the PGlite store is held by the running center: stopped first).
  await rig.center.stop();
  const r = await runCommands(['center', 'kiosks', 'revoke', '--pki', rig.pkiDir, '--data', rig.dataDir, '--kiosk', 'kiosk-h1', '--json'], [kioskRevokeCommand], { clock: new FakeClock(Date.now()) });
  t.equal(r.code, 1, 'the CLI refuses (exit 1)');
  t.match(JSON.parse(r.out), { ok: false, error: { code: 'KIOSK_UNCHANGED', message: /decommissioned/ } });
});

/**
 * Decommissioning on a real center (issue 7 point 4; docs/provisioning.md
 * §4): a connected kiosk is told to wipe (`decommission`), and the center
 * waits for its `wiped` (or its disconnect) before it revokes it as
 * decommissioned; an offline kiosk is revoked at once. Audited
 * `kiosk.decommissioned { wiped }`, `kiosk.wiped`, `kiosk.status`,
 * `kiosk.certs-revoked`; the kiosk is then refused at TLS.
 */
import t from 'tap';
import { getKiosk } from '../../../center/registry.js';
import { kioskCerts } from '../../../center/certs.js';
import { attemptConnect, credsOf } from '../../fixtures/mqtt-clients.js';
import { startFleetRig } from './fleet-rig.js';

const rig = await startFleetRig(t, { kiosks: ['kiosk-d1', 'kiosk-d2', 'kiosk-d3'] });
const { center } = rig;

const helloed = rig.helloed;

void t.test('a connected kiosk that wipes: told, its wiped awaited, then decommissioned, kicked and refused at TLS', async (t) => {
  const k = await helloed(t, 'kiosk-d1');
  const m = await rig.mark();
  const closed = new Promise<void>((resolve) => k.client.once('close', () => resolve()));
  // The kiosk's side: wipe on `decommission`, report it.
  const answered = k.waitDown('decommission').then((e) => k.send('wiped', { ok: true, failed: [] }).then(() => e));
  const outcome = await center.decommissionKiosk('kiosk-d1', 'retired');
  t.match((await answered).body, { reason: 'retired' }, 'the signed decommission message carried the reason');
  t.match(outcome, { wiped: true, told: true, kicked: true, crl: 'updated', serials: [rig.serialOf('kiosk-d1')] });
  await closed;
  t.equal((await getKiosk(center.deps.db, 'kiosk-d1'))?.status, 'decommissioned');
  t.same((await kioskCerts(center.deps.db, 'kiosk-d1')).map((c) => c.state), ['revoked']);
  const kinds = (await rig.audit(m.entry)).filter((e) => e.kiosk === 'kiosk-d1' && !e.kind.startsWith('wire.')).map((e) => e.kind);
  t.same(kinds, ['kiosk.wiped', 'kiosk.status', 'kiosk.certs-revoked', 'kiosk.decommissioned'], 'audited in this order');
  const entries = await rig.audit(m.entry);
  t.match(entries.find((e) => e.kind === 'kiosk.decommissioned')?.detail, { wiped: true, told: true, reason: 'retired' });
  t.match(entries.find((e) => e.kind === 'kiosk.wiped')?.detail, { ok: true, expected: true });
  t.match(entries.find((e) => e.kind === 'kiosk.status')?.detail, { status: 'decommissioned', reason: 'retired' });
  const again = await rig.mark();
  t.equal((await attemptConnect(center.url, rig.ca, await credsOf(rig.pki, 'kiosk-d1'), 'kiosk-d1')).connected, false);
  const refused = await rig.waitForAudit((e) => e.kind === 'broker.refused', 'broker.refused', { from: again.entry });
  t.same(refused.detail, { stage: 'tls', reason: 'CERT_REVOKED', topic: null });
  await t.rejects(center.decommissionKiosk('kiosk-d1', 'again'), { code: 'KIOSK_UNCHANGED' });
});

void t.test('a connected kiosk that goes away without reporting: the disconnect ends the wait, wiped false', async (t) => {
  const k = await helloed(t, 'kiosk-d3');
  const m = await rig.mark();
  void k.waitDown('decommission').then(() => k.client.endAsync(true));
  const start = Date.now();
  const outcome = await center.decommissionKiosk('kiosk-d3', 'broken');
  t.ok(Date.now() - start < 9_000, 'well before the 10 s bound');
  t.match(outcome, { wiped: false, told: true });
  t.match((await rig.audit(m.entry)).find((e) => e.kind === 'kiosk.decommissioned')?.detail, { wiped: false, told: true });
  t.equal((await getKiosk(center.deps.db, 'kiosk-d3'))?.status, 'decommissioned');
});

void t.test('an offline kiosk: decommissioned at once, nothing sent', async (t) => {
  const m = await rig.mark();
  const outcome = await center.decommissionKiosk('kiosk-d2', 'stolen');
  t.match(outcome, { wiped: false, told: false, kicked: false, crl: 'updated', serials: [rig.serialOf('kiosk-d2')] });
  const entries = (await rig.audit(m.entry)).filter((e) => e.kiosk === 'kiosk-d2');
  t.same(entries.map((e) => e.kind), ['kiosk.status', 'kiosk.certs-revoked', 'kiosk.decommissioned']);
  t.match(entries.at(-1)?.detail, { wiped: false, told: false });
  const again = await rig.mark();
  t.equal((await attemptConnect(center.url, rig.ca, await credsOf(rig.pki, 'kiosk-d2'), 'kiosk-d2')).connected, false, 'refused when it comes back');
  t.same((await rig.waitForAudit((e) => e.kind === 'broker.refused', 'broker.refused', { from: again.entry })).detail, { stage: 'tls', reason: 'CERT_REVOKED', topic: null });
  await t.rejects(center.decommissionKiosk('no-such-kiosk', 'x'), { code: 'KIOSK_UNKNOWN' });
});

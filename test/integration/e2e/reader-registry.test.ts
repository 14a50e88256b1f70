/**
 * Issue 5 point 4, reader registry updates end to end (docs/reader-auth.md
 * "Updates"): the real center (Aedes behind mutual TLS, the bridge, PGlite),
 * kiosk agents over mqtt.js and simulated stations. The operator changes a
 * kiosk's readers at the center; the center pushes the new signed registry
 * to the connected kiosk, which authenticates its reader again and takes —
 * or stops taking — customers; the center logs and audits the outcome.
 */
import t from 'tap';
import { readKeyFile } from '../../../common/key-files.js';
import { addReader } from '../../../center/registry.js';
import { eventually, startRig } from '../../fixtures/rig.js';
import { join } from 'node:path';

void t.test('reader registry pushed to connected kiosks', async (t) => {
  const rig = await startRig(t, { kiosks: ['kiosk-1', 'kiosk-2'] });

  await t.test('the operator removes the reader: pushed, the kiosk refuses it and further customers, the center logs the refusal', async (t) => {
    const kiosk = await rig.startKiosk('kiosk-1');
    const reader = rig.stations['kiosk-1']!.identity.id;
    const [app] = await rig.addApps(1);
    const from = (await rig.audit()).length;

    const version = await rig.center.readers.remove({ kiosk: 'kiosk-1', id: reader, reason: 'reader stolen' });
    t.equal(version, 3, 'registry version 1 (kiosk added) → 2 (reader added) → 3 (removed)');
    const refused = await rig.waitForAudit((e) => e.kind === 'reader.refused' && e.kiosk === 'kiosk-1', "the center auditing the kiosk's refusal", { from });
    t.same(refused.detail, { reader, reason: 'unknown-reader' });
    const entries = await rig.audit(from);
    t.ok(entries.some((e) => e.kind === 'reader.removed' && e.detail.reader === reader && e.detail.reason === 'reader stolen'), 'the removal is audited');
    t.ok(entries.some((e) => e.kind === 'wire.out' && e.kiosk === 'kiosk-1' && e.detail.type === 'registry'), 'the push went out on the wire');
    t.match(rig.logs.center.lines.join('\n'), /registry pushed.*"kiosk":"kiosk-1".*"version":3/);
    t.match(rig.logs.center.lines.join('\n'), /kiosk refused a reader.*"reason":"unknown-reader"/);

    await eventually(() => kiosk.state() === 'reader-refused', 'the kiosk to refuse its reader');
    t.match(rig.logs.kiosk('kiosk-1').lines.join('\n'), /reader refused.*"reason":"unknown-reader"/);
    t.same(await kiosk.request(app!.id, app!.code), { outcome: 'refused', reason: 'reader-refused' });
    t.equal((await rig.application(app!.id))?.status, 'pending', 'nothing reserved at the center');
    t.match(await rig.jobOf(app!.id), { state: 'PENDING', kiosk_id: null }, 'no job reserved for this kiosk');
    t.same((await rig.stations['kiosk-1']!.status()).cardAtStation, false, 'no card moved');
  });

  await t.test('a reader entry with a key is added and pushed: a wrong key is refused (no downgrade), the right one serves customers again', async (t) => {
    const kiosk = await rig.startKiosk('kiosk-2');
    const station = rig.stations['kiosk-2']!;
    const reader = station.identity.id;
    const base = { kiosk: 'kiosk-2', id: reader, kind: 'sim' as const, ...station.identity.descriptor };
    let from = (await rig.audit()).length;

    // Replaced by an entry whose key is not the reader's: challenge-response fails.
    await rig.center.readers.add({ ...base, publicKey: new Uint8Array(32).fill(7) });
    const bad = await rig.waitForAudit((e) => e.kind === 'reader.refused' && e.kiosk === 'kiosk-2', 'the refusal of a reader with another key', { from });
    t.same(bad.detail, { reader, reason: 'bad-signature' });
    await eventually(() => kiosk.state() === 'reader-refused', 'kiosk-2 to refuse its reader');

    // The right key, added by another process (the CLI on PostgreSQL): the center's periodic check pushes it.
    from = (await rig.audit()).length;
    const d = rig.center.deps;
    const version = await addReader({ db: d.db, audit: d.audit, clock: d.clock }, { ...base, publicKey: await readKeyFile(join(station.dir, 'reader.pub'), 32) });
    t.equal(version, 4);
    await rig.waitForAudit((e) => e.kind === 'reader.authenticated' && e.kiosk === 'kiosk-2', 'kiosk-2 authenticating its reader again', { from });
    await eventually(() => kiosk.state() === 'ready', 'kiosk-2 ready again');
    t.match(rig.logs.kiosk('kiosk-2').lines.join('\n'), /reader authenticated.*"method":"challenge-response".*"registryVersion":4/);

    const [app] = await rig.addApps(1);
    t.match(await kiosk.request(app!.id, app!.code), { outcome: 'issued' }, 'a customer is served with the re-approved reader');
  });
});

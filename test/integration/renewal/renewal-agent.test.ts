/**
 * Rotation and decommissioning end to end with a real kiosk agent and a
 * real center (docs/provisioning.md §3–4; issue 7 points 3–4): mutual TLS
 * over the embedded broker, the center's fleet CA certifying, the kiosk's
 * sealed-file store.
 *
 * - The operator asks for a renewal while a customer's card is being
 *   issued: the kiosk makes its pending key and gets its certificate, but
 *   keeps its connection until the session ends; the job is ISSUED exactly
 *   once; then the kiosk swaps and reconnects, and the center promotes the
 *   new certificate (the registry's fingerprint is the kiosk's tls.crt).
 * - Decommissioning: the kiosk wipes its store and registry, reports it,
 *   and its agent stops; the center records it.
 */
import t from 'tap';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { eventually } from '../../fixtures/rig.js';
import { KIOSK, startAgentFleetRig } from './agent-fleet-rig.js';

const exists = (path: string): Promise<boolean> => readFile(path).then(
  () => true,
  () => false,
);

void t.test('renewal during a customer session: the session completes, then the kiosk reconnects with the new certificate', async (t) => {
  const rig = await startAgentFleetRig(t);
  const oldFingerprint = await rig.fileFingerprint();
  t.equal(await rig.registeredFingerprint(), oldFingerprint);
  const app = await rig.addApp();

  rig.transport.hold();
  const customer = rig.agent.request(app.id, app.code);
  await rig.transport.holding;
  t.match(rig.agent.state(), /^(card|requesting)$/, 'a customer session is in progress');

  t.same(await rig.center.requestRenewal(KIOSK), { asked: true });
  await eventually(() => rig.agent.renewal() === 'awaiting-swap', 'the renewed certificate accepted by the kiosk');
  t.ok(await exists(join(rig.pki.kiosks[KIOSK]!.dir, 'tls.next.crt')), 'tls.next.crt written');
  // Several idle checks go by: nothing moves while the session is in progress.
  await new Promise((r) => setTimeout(r, 400));
  t.equal(rig.agent.renewal(), 'awaiting-swap', 'the swap waits for the session');
  t.equal(await rig.fileFingerprint(), oldFingerprint, 'tls.crt not swapped during the session');
  t.equal(await rig.registeredFingerprint(), oldFingerprint, 'the registry still has the old certificate');

  rig.transport.release();
  const outcome = await customer;
  t.equal(outcome.outcome, 'issued', `the customer's card is issued (${outcome.reason ?? ''})`);
  const jobs = await rig.jobsOf(app.id);
  t.equal(jobs.length, 1, 'one job');
  t.equal(jobs[0]?.state, 'ISSUED', 'issued exactly once');

  await eventually(() => rig.agent.renewal() === 'none', 'the swap');
  const newFingerprint = await rig.fileFingerprint();
  t.not(newFingerprint, oldFingerprint, 'tls.crt is the new certificate');
  await eventually(async () => (await rig.registeredFingerprint()) === newFingerprint, "the center promoting the new certificate on the kiosk's reconnection");
  await eventually(() => rig.agent.state() === 'ready', 'the kiosk ready on its new connection');
  t.match(rig.kioskLog.lines.join(''), /certificate renewed: reconnecting with it/);

  // A second customer on the new connection.
  const next = await rig.addApp();
  const second = await rig.agent.request(next.id, next.code);
  t.equal(second.outcome, 'issued', 'served with the renewed certificate');
  t.equal((await rig.jobsOf(app.id)).length, 1, 'the first job was not issued again');
});

void t.test('decommission: the store and registry wiped, wiped reported, the agent stopped', async (t) => {
  const rig = await startAgentFleetRig(t);
  const dir = rig.pki.kiosks[KIOSK]!.dir;
  t.ok(await exists(join(dir, 'keys.sealed')));
  t.ok(await exists(join(dir, 'registry.json')));
  const outcome = await rig.center.decommissionKiosk(KIOSK, 'retired');
  t.match(outcome, { told: true, wiped: true });
  const end = await rig.agent.ended;
  t.same(end, { reason: 'decommissioned', wipe: { ok: true, removed: ['sealed-store', 'registry'], failed: [] } });
  t.equal(rig.agent.state(), 'stopped');
  t.notOk(await exists(join(dir, 'keys.sealed')), 'keys.sealed is gone');
  t.notOk(await exists(join(dir, 'registry.json')), 'registry.json is gone');
  t.ok(await exists(join(dir, 'tls.crt')), 'the public certificate stays');
});

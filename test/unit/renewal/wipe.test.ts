/**
 * Wiping the key store (kiosk/keystore/wipe.ts) and the `decommission`
 * message (kiosk/renewal/decommission.ts through startKiosk): every file
 * of the store, current and pending, is zero-filled (read back during the
 * wipe through the test seam) before its unlink; the registry and a
 * pending certificate go too; what cannot be removed is reported by role;
 * the agent reports `wiped`, zeroizes its secrets and stops.
 */
import t from 'tap';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { wipeKeyStore } from '../../../kiosk/keystore/index.js';
import { CODE, issuedBody, JOB, SCRIPT } from '../kiosk/fakes.js';
import { fleetWire, until, type FleetWire } from './fleet-wire.js';

const exists = (path: string): Promise<boolean> => readFile(path).then(
  () => true,
  () => false,
);

async function tempDir(t: { teardown(f: () => unknown): void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'cardline-wipe-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

void t.test('sealed file: store, pending store, registry and pending certificate zero-filled, then gone', async (t) => {
  const dir = await tempDir(t);
  const files = { 'keys.sealed': 3000, 'keys.next.sealed': 2900, 'registry.json': 500, 'tls.next.crt': 700 };
  for (const [name, size] of Object.entries(files)) await writeFile(join(dir, name), Buffer.alloc(size, 0xa5), { mode: 0o600 });
  await writeFile(join(dir, 'tls.crt'), 'public, kept');
  const seen: Record<string, { size: number; zero: boolean }> = {};
  const report = await wipeKeyStore(
    { identityDir: dir, keyStore: { kind: 'sealed-file', machineSecretFile: '/nonexistent' } },
    {
      onZeroed: async (path) => {
        const bytes = await readFile(path);
        seen[path.slice(dir.length + 1)] = { size: bytes.length, zero: bytes.every((b) => b === 0) };
      },
    },
  );
  t.same(report, { ok: true, removed: ['sealed-store', 'pending-sealed-store', 'registry', 'pending-certificate'], failed: [] });
  for (const [name, size] of Object.entries(files)) t.same(seen[name], { size, zero: true }, `${name}: all zeros, same size, before the unlink`);
  t.same(await readdir(dir), ['tls.crt'], 'only the public certificate is left');
  t.same(await wipeKeyStore({ identityDir: dir, keyStore: { kind: 'sealed-file', machineSecretFile: '/x' } }), { ok: true, removed: [], failed: [] }, 'again: nothing to do, still ok');
});

void t.test('TPM store: the sealed object, TLS keys, PCR selection and request removed, the directory too', async (t) => {
  const dir = await tempDir(t);
  const tpm = join(dir, 'tpm');
  await mkdir(tpm);
  for (const name of ['seal.pub', 'seal.priv', 'pcrs', 'tls.tss2.pem', 'tls.next.tss2.pem', 'tls.csr']) await writeFile(join(tpm, name), 'blob');
  const zeroed: string[] = [];
  const report = await wipeKeyStore({ identityDir: dir, keyStore: { kind: 'tpm', tcti: 'swtpm:host=127.0.0.1,port=1', pcrs: 'sha256:0' } }, { onZeroed: (p) => void zeroed.push(p) });
  t.same(report.failed, []);
  t.same(report.removed, ['sealed-object-private', 'sealed-object-public', 'tls-key', 'pending-tls-key', 'pcr-selection', 'certificate-request']);
  t.equal(zeroed.length, 6);
  t.notOk(await exists(tpm), 'the emptied tpm directory is removed');
});

void t.test('what cannot be removed is reported by role, and the rest is still wiped', async (t) => {
  const dir = await tempDir(t);
  await writeFile(join(dir, 'keys.sealed'), Buffer.alloc(100, 1));
  // A registry path that is a non-empty directory: unlink fails.
  await mkdir(join(dir, 'registry.json'));
  await writeFile(join(dir, 'registry.json', 'x'), 'x');
  const report = await wipeKeyStore({ identityDir: dir, keyStore: { kind: 'sealed-file', machineSecretFile: '/x' } });
  t.same(report, { ok: false, removed: ['sealed-store'], failed: ['registry'] });
  t.notOk(await exists(join(dir, 'keys.sealed')));
});

void t.test('decommission: store wiped (zeros first), wiped sent, secrets zeroized, the agent stops', async (t) => {
  const zeroed: { name: string; zero: boolean }[] = [];
  const w = await fleetWire(t, { onZeroed: async (path) => void zeroed.push({ name: path.split('/').at(-1)!, zero: (await readFile(path)).every((b) => b === 0) }) });
  const secrets = w.unsealed[0]!;
  t.notOk(secrets.signingKey.every((b) => b === 0), 'the signing key is in memory while the kiosk runs');
  // A renewal in progress: its pending key goes too.
  w.down('renew', { notAfter: w.clock.now(), reason: 'requested' });
  await until(() => w.ups().some((m) => m.type === 'csr'), 'the csr');
  t.ok(await exists(join(w.p.kioskDir, 'registry.json')), 'the kiosk kept its registry');

  w.down('decommission', { reason: 'retired by the operator' });
  const end = await w.agent.ended;
  t.same(end, { reason: 'decommissioned', wipe: { ok: true, removed: ['sealed-store', 'pending-sealed-store', 'registry'], failed: [] } });
  t.same(w.ups().at(-1), { type: 'wiped', body: { ok: true, failed: [] } }, 'wiped reported, signed with the key still in memory');
  t.same(zeroed, [
    { name: 'keys.sealed', zero: true },
    { name: 'keys.next.sealed', zero: true },
    { name: 'registry.json', zero: true },
  ], 'each file all zeros before its unlink');
  for (const name of ['keys.sealed', 'keys.next.sealed', 'registry.json']) t.notOk(await exists(join(w.p.kioskDir, name)), `${name} gone`);
  t.equal(w.agent.state(), 'stopped');
  t.ok(secrets.signingKey.every((b) => b === 0) && secrets.sealingKey.every((b) => b === 0), 'the secrets in memory are zeroized');
  t.same(w.clients[0]!.states, ['{"online":true}', '{"online":false}'], 'offline said, then disconnected');
  await t.rejects(w.agent.ready.then(() => w.agent.request('app-1', 'Secret42Code')).then((o) => Promise.reject(new Error(o.reason))), /stopped/, 'no customer is served any more');
  t.match(w.logger.lines.join(''), /decommissioned by the center: wiping the key store/);
});

void t.test('a store file that is there again after the wipe (a rename during it) is reported failed', async (t) => {
  const dir = await tempDir(t);
  await writeFile(join(dir, 'keys.sealed'), Buffer.alloc(100, 1));
  await writeFile(join(dir, 'registry.json'), '{}');
  const report = await wipeKeyStore(
    { identityDir: dir, keyStore: { kind: 'sealed-file', machineSecretFile: '/x' } },
    // As a promote would: a live store renamed into place after keys.sealed was wiped.
    { onZeroed: (path) => (path.endsWith('registry.json') ? writeFile(join(dir, 'keys.sealed'), Buffer.alloc(100, 2)) : undefined) },
  );
  t.same(report, { ok: false, removed: ['sealed-store', 'registry'], failed: ['sealed-store'] });
});

void t.test('decommission while a swap waits: the renewal stops before the wipe, no promote renames a live store in during it', async (t) => {
  const late: { w?: FleetWire; customer?: Promise<unknown> } = {};
  const sealedDuringWipe: boolean[] = [];
  const w = await fleetWire(t, {
    answer: (m, reply) => {
      if (m.type === 'request') reply('insert-card', { job: JOB, attempt: 1, challenge: '0102030405060708', sdAid: 'A000000151000000', kvn: 0x30, recover: false });
      if (m.type === 'card') reply('script', { job: JOB, attempt: 1, kind: 'write', stop: 'first-error', apdus: [...SCRIPT], summary: { storeDataBlocks: 2, dgis: 1 } });
      if (m.type === 'result') reply('issued', issuedBody(JOB));
    },
    onZeroed: async (path) => {
      const w = late.w;
      if (!path.endsWith('/keys.sealed') || !w) return;
      // Between the files of the wipe: the customer leaves, which would let the waiting swap run its promote.
      const next = join(w.p.kioskDir, 'keys.next.sealed');
      w.release('card');
      await late.customer;
      await until(async () => !(await exists(next)), 'a promote', 500).catch(() => undefined);
      sealedDuringWipe.push((await readFile(path)).every((b) => b === 0));
    },
  });
  late.w = w;
  // A customer's card in the station: the renewed certificate's swap waits for it.
  w.hold.add('card');
  late.customer = w.agent.request('app-1', CODE);
  await until(() => w.ups().some((m) => m.type === 'card'), 'the card read');
  w.down('renew', { notAfter: w.clock.now(), reason: 'expiring' });
  await until(() => w.ups().some((m) => m.type === 'csr'), 'the csr');
  const csr = w.ups().find((m) => m.type === 'csr')!.body.csr;
  w.down('certificate', { pem: await w.certify(csr), notAfter: w.clock.now() });
  await until(() => w.agent.renewal() === 'awaiting-swap', 'the certificate accepted');

  w.down('decommission', { reason: 'retired' });
  const end = await w.agent.ended;
  t.same(sealedDuringWipe, [true], 'keys.sealed still the zeroed file when the customer left: no promote during the wipe');
  t.same(end, { reason: 'decommissioned', wipe: { ok: true, removed: ['sealed-store', 'pending-sealed-store', 'registry', 'pending-certificate'], failed: [] } });
  for (const name of ['keys.sealed', 'keys.next.sealed', 'registry.json', 'tls.next.crt']) t.notOk(await exists(join(w.p.kioskDir, name)), `${name} gone`);
  t.equal(w.clients.length, 1, 'no reconnect with the renewed certificate');
});

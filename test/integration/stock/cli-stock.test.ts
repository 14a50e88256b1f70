/**
 * `cardline stock prepare` and `cardline center stock register|list|withdraw`
 * as real processes (docs/provisioning.md §6-7): --json answers, exit codes,
 * and every refusal (existing batch, a stock key open to others, duplicate
 * batch or card, malformed manifest, bad KDD, unknown batch) with nothing
 * registered or changed; the audit entries of what was done.
 */
import t from 'tap';
import { randomBytes } from 'node:crypto';
import { chmod, copyFile, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AuditRecord } from '../../../center/audit/entry-text.js';
import { openStore } from '../../../center/store/open.js';
import { systemClock } from '../../../common/clock.js';
import { silentLogger } from '../../../common/log.js';
import { sealDevKiosk } from '../../../kiosk/keystore/index.js';
import { initDevPki } from '../../../provisioning/pki/dev-pki.js';
import { spawnCardline } from '../../fixtures/process-rig.js';

const random = (n: number): Uint8Array => new Uint8Array(randomBytes(n));
const root = await mkdtemp(join(tmpdir(), 'cardline-stock-cli-'));
t.teardown(() => rm(root, { recursive: true, force: true }));
const pki = join(root, 'pki');
await initDevPki(pki, { kiosks: ['kiosk-1'], random, clock: systemClock, logger: silentLogger, sealKiosk: sealDevKiosk });
const station = join(root, 'station');
const store = ['--pki', pki, '--data', join(root, 'center-data')];

/** Runs `cardline ARGS`; resolves with the exit code and what it printed. */
async function cardline(args: string[]): Promise<{ code: number | null; out: string; err: string; json: Record<string, unknown> | undefined }> {
  const p = spawnCardline(`cardline ${args.slice(0, 3).join(' ')}`, args);
  p.endInput();
  const exit = await p.waitExit(120_000, 'its end');
  const out = p.out.join('\n');
  let json: Record<string, unknown> | undefined;
  try {
    json = JSON.parse(out) as Record<string, unknown>;
  } catch {
    json = undefined;
  }
  return { code: exit.code, out, err: p.err.join('\n'), json };
}

async function storeState(): Promise<{ batches: { id: string; status: string }[]; cards: number; audit: AuditRecord[] }> {
  const db = await openStore({ dataDir: join(root, 'center-data') }, silentLogger);
  try {
    const batches = (await db.query<{ id: string; status: string }>('SELECT id, status FROM card_batches ORDER BY id')).rows;
    const cards = Number((await db.query<{ n: number }>('SELECT count(*)::int AS n FROM stock_cards')).rows[0]!.n);
    const audit = (await db.query<{ entry: string }>('SELECT entry FROM audit_entries ORDER BY idx')).rows.map((r) => JSON.parse(r.entry) as AuditRecord);
    return { batches, cards, audit };
  } finally {
    await db.close();
  }
}

void t.test('stock prepare: a new station with a prepared batch and its manifest; refusals change nothing', async (t) => {
  const r = await cardline(['stock', 'prepare', '--station', station, '--count', '2', '--batch', 'B1', '--pki', pki, '--json']);
  t.equal(r.code, 0, r.err);
  t.match(r.json, { ok: true, batch: 'B1', product: 'cardline-basic', prepared: 2, setAside: [], created: true, manifest: join(station, 'batches', 'B1.json') });
  const manifest = JSON.parse(await readFile(join(station, 'batches', 'B1.json'), 'utf8')) as { cards: { serial: string; kdd: string }[] };
  t.same(manifest.cards.map((c) => c.kdd), ['0000CA4D000000000001', '0000CA4D000000000002']);
  const hopper = await readdir(join(station, 'hopper'));

  const again = await cardline(['stock', 'prepare', '--station', station, '--count', '1', '--batch', 'B1', '--pki', pki, '--json']);
  t.equal(again.code, 1);
  t.match(again.json, { ok: false, error: { code: 'BATCH_EXISTS' } });

  const openKey = join(root, 'open.key');
  await copyFile(join(pki, 'center', 'issuer-master.key'), openKey);
  await chmod(openKey, 0o644);
  const open = await cardline(['stock', 'prepare', '--station', station, '--count', '1', '--batch', 'B9', '--stock-key', openKey]);
  t.equal(open.code, 1);
  t.match(open.err, /TOO_OPEN/, 'a stock key readable by others is refused');
  t.notMatch(open.err + open.out, /[0-9a-f]{32}/i, 'no key material printed');

  const usage = await cardline(['stock', 'prepare', '--station', station, '--batch', 'B9', '--pki', pki]);
  t.equal(usage.code, 2, 'missing --count: usage');
  t.same(await readdir(join(station, 'hopper')), hopper, 'the hopper is unchanged by the refusals');
  t.same((await readdir(join(station, 'batches'))).sort(), ['B1.json']);
});

void t.test('center stock register, list, withdraw: duplicates and bad manifests refused with nothing registered', async (t) => {
  const manifestFile = join(station, 'batches', 'B1.json');
  const reg = await cardline(['center', 'stock', 'register', '--manifest', manifestFile, ...store, '--json']);
  t.equal(reg.code, 0, reg.err);
  t.same(reg.json, { ok: true, batch: 'B1', product: 'cardline-basic', cards: 2 });

  const dup = await cardline(['center', 'stock', 'register', '--manifest', manifestFile, ...store, '--json']);
  t.equal(dup.code, 1);
  t.match(dup.json, { ok: false, error: { code: 'BATCH_EXISTS' } });

  const m = JSON.parse(await readFile(manifestFile, 'utf8')) as { batch: string; cards: { serial: string; kdd: string }[] };
  const bad: [string, string, string][] = [
    ['a card registered already, under another batch', JSON.stringify({ ...m, batch: 'B2', cards: [{ serial: 'CA4D0000000000FF', kdd: '0000CA4D0000000000FF' }, m.cards[1]] }), 'CARD_REGISTERED'],
    ['malformed JSON', '{"v":1,', 'MANIFEST_INVALID'],
    ['a bad KDD', JSON.stringify({ ...m, batch: 'B3', cards: [{ serial: 'CA4D000000000009', kdd: '0000CA4D00000009' }] }), 'MANIFEST_INVALID'],
  ];
  for (const [what, text, code] of bad) {
    const f = join(root, `bad-${code}.json`);
    await writeFile(f, text);
    const r = await cardline(['center', 'stock', 'register', '--manifest', f, ...store, '--json']);
    t.equal(r.code, 1, `${what}: exit 1`);
    t.match(r.json, { ok: false, error: { code } }, what);
  }

  const list = await cardline(['center', 'stock', 'list', ...store, '--json']);
  t.equal(list.code, 0);
  t.match(list.json, { ok: true, batches: [{ batch: 'B1', product: 'cardline-basic', cards: 2, status: 'active' }] });
  t.equal((list.json!.batches as unknown[]).length, 1, 'only B1: nothing of the refused manifests was registered');

  const w = await cardline(['center', 'stock', 'withdraw', '--batch', 'B1', ...store, '--json']);
  t.same(w.json, { ok: true, batch: 'B1', withdrawn: true, changed: true });
  const w2 = await cardline(['center', 'stock', 'withdraw', '--batch', 'B1', ...store, '--json']);
  t.equal(w2.code, 0, 'withdrawn already: the asked state holds');
  t.same(w2.json, { ok: true, batch: 'B1', withdrawn: true, changed: false });
  const unknown = await cardline(['center', 'stock', 'withdraw', '--batch', 'nope', ...store, '--json']);
  t.equal(unknown.code, 1);
  t.match(unknown.json, { ok: false, error: { code: 'BATCH_UNKNOWN' } });

  const state = await storeState();
  t.same(state.batches, [{ id: 'B1', status: 'withdrawn' }]);
  t.equal(state.cards, 2, 'the two cards of B1 only');
  t.match(
    state.audit.filter((e) => e.kind.startsWith('stock.')),
    [
      { kind: 'stock.registered', detail: { batch: 'B1', product: 'cardline-basic', count: 2 } },
      { kind: 'stock.withdrawn', detail: { batch: 'B1' } },
    ],
    'audited once each: refusals and the second withdraw are not',
  );
  t.equal(state.audit.filter((e) => e.kind.startsWith('stock.')).length, 2);
});

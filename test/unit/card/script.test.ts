/**
 * The center's script builder and verifier against the real simulated card
 * (in-process): issue, refuse a foreign card, inspect, detect a tampered
 * response and someone else's data.
 */
import t from 'tap';
import { randomBytes } from 'node:crypto';
import { toHex } from '../../../card/bytes.js';
import { authenticateCard, buildScript, verifyResult } from '../../../card/script/index.js';
import { SAMPLE_DGIS } from '../sim/helpers.js';
import { factoryCard, initializeUpdate, jobDgis, KMC, PROFILE, relay, tempDir } from './script-kiosk.js';

const APP_AID_HEX = toHex(PROFILE.appAid);

void t.test('a factory card is issued with a write script, then inspects as issued', async (t) => {
  const { dir, cleanup } = tempDir();
  t.teardown(cleanup);
  const { card, reader } = await factoryCard(dir, 'CA4D000000000001');
  const dgis = jobDgis();
  const before = dgis.map((d) => toHex(d.value));

  const write = await relay(reader, 'write', dgis);
  t.same(write.verdict, { outcome: 'issued' });
  t.equal(write.script.stop, 'first-error');
  t.same(
    write.script.plan.map((s) => s.role),
    ['external-authenticate', 'install', ...Array<string>(write.script.summary.storeDataBlocks).fill('store-data'), 'get-status', 'select-app', 'read-back', 'read-back', 'read-back', 'kcv'],
    'EA, INSTALL, STORE DATA, GET STATUS, SELECT, read-backs of 0101 0201 9102, KCV of 8000 (none for the PIN 8010)',
  );
  t.same(write.script.plan.filter((s) => s.tag !== undefined).map((s) => s.tag), [0x0101, 0x0201, 0x9102, 0x8000]);
  t.ok(write.script.plan.every((s) => s.secured === ['external-authenticate', 'install', 'store-data', 'get-status'].includes(s.role)));
  t.equal(write.run.responses.length, write.script.apdus.length, 'every APDU answered');
  t.same(write.script.summary, { storeDataBlocks: write.script.summary.storeDataBlocks, dgis: 5 });
  t.ok(write.script.summary.storeDataBlocks >= 2, 'plain and secret DGIs go in separate blocks');
  const app = card.inspect().apps.find((a) => a.aid === APP_AID_HEX)!;
  t.equal(app.lifeCycleName, 'PERSONALIZED');
  t.same(app.dgiTags, ['0101', '0201', '9102']);
  t.same(app.secretDgiTags, ['8000', '8010']);
  t.same(dgis.map((d) => toHex(d.value)), before, "the caller's DGIs are left as they were");

  const inspect = await relay(reader, 'inspect', dgis);
  t.same(inspect.verdict, { outcome: 'issued' }, 'inspect with a new challenge');
  t.equal(inspect.script.stop, 'never');
  t.same(inspect.script.plan.map((s) => s.role), ['external-authenticate', 'get-status', 'select-app', 'read-back', 'read-back', 'read-back', 'kcv']);
  t.equal(inspect.script.summary.storeDataBlocks, 0);

  const again = await relay(reader, 'write', dgis);
  t.match(again.verdict, { outcome: 'failed', at: 1, detail: /install.*6985/ }, 'a personalized application refuses a second write');
});

void t.test('data spanning several STORE DATA blocks, secrets of 16 and 32 bytes', async (t) => {
  const { dir, cleanup } = tempDir();
  t.teardown(cleanup);
  const { reader } = await factoryCard(dir, 'CA4D000000000002');
  const write = await relay(reader, 'write', SAMPLE_DGIS);
  t.same(write.verdict, { outcome: 'issued' });
  t.ok(write.script.summary.storeDataBlocks >= 3);
  t.same(write.script.plan.filter((s) => s.role === 'kcv').map((s) => s.tag), [0x8000, 0x8001]);
  t.same(write.script.plan.filter((s) => s.role === 'read-back').map((s) => s.tag), [0x0101, 0x0102, 0x9102, 0x0201]);
  t.same((await relay(reader, 'inspect', SAMPLE_DGIS)).verdict, { outcome: 'issued' });
});

void t.test('a card made with another master key is refused and nothing is written', async (t) => {
  const { dir, cleanup } = tempDir();
  t.teardown(cleanup);
  const other = Uint8Array.from({ length: 16 }, (_, i) => i);
  const { card, reader } = await factoryCard(dir, 'CA4D000000000003', other);
  const hostChallenge = new Uint8Array(randomBytes(8));
  const iuResponse = await initializeUpdate(reader, hostChallenge);
  const auth = authenticateCard({ profile: PROFILE, kmc: KMC, hostChallenge, iuResponse });
  t.match(auth, { ok: false, reason: 'card-authentication' });
  t.throws(() => buildScript({ kind: 'write', profile: PROFILE, kmc: KMC, hostChallenge, iuResponse, dgis: jobDgis() }), { code: 'CARD_AUTHENTICATION' });
  const app = card.inspect().apps.find((a) => a.aid === APP_AID_HEX)!;
  t.equal(app.lifeCycleName, 'SELECTABLE');
  t.same(app.dgiTags, []);
  t.same(app.secretDgiTags, []);
  // The right key for that card works: the refusal was the key, not the card.
  t.match(authenticateCard({ profile: PROFILE, kmc: other, hostChallenge, iuResponse }), { ok: true, serial: toHex(card.kdd), kvn: 0x30 });
});

void t.test('a tampered secured response fails with its R-MAC, at every secured step', async (t) => {
  const { dir, cleanup } = tempDir();
  t.teardown(cleanup);
  const { reader } = await factoryCard(dir, 'CA4D000000000004');
  const dgis = jobDgis();
  const write = await relay(reader, 'write', dgis);
  t.same(write.verdict, { outcome: 'issued' });
  const { hostChallenge, iuResponse } = write.session;
  const base = { kind: 'write' as const, profile: PROFILE, kmc: KMC, hostChallenge, iuResponse, dgis };
  write.script.plan.forEach((step, i) => {
    if (!step.secured || step.role === 'external-authenticate') return;
    for (const pos of [0, write.run.responses[i]!.length - 3]) {
      const responses = write.run.responses.map((r) => r.slice());
      responses[i]![pos]! ^= 0x01;
      t.same(verifyResult({ ...base, responses }), { outcome: 'failed', at: i, detail: `R-MAC invalid at step ${i}` }, `${step.role} at ${i}, byte ${pos}`);
    }
  });
  // A plain read-back altered in transit: the write fails at it (the caller then inspects).
  const readBack = write.script.plan.findIndex((s) => s.role === 'read-back');
  const responses = write.run.responses.map((r) => r.slice());
  responses[readBack]![0]! ^= 0x01;
  t.match(verifyResult({ ...base, responses }), { outcome: 'failed', at: readBack, detail: /DGI 0101.*differs/ });
  // The verdict stands on the responses alone: the same inputs verify again.
  t.same(verifyResult({ ...base, responses: write.run.responses }), { outcome: 'issued' });
});

void t.test("a card personalized with someone else's data is a mismatch", async (t) => {
  const { dir, cleanup } = tempDir();
  t.teardown(cleanup);
  const { reader } = await factoryCard(dir, 'CA4D000000000005');
  t.same((await relay(reader, 'write', jobDgis(7))).verdict, { outcome: 'issued' });

  const otherKeys = await relay(reader, 'inspect', jobDgis(8));
  t.match(otherKeys.verdict, { outcome: 'mismatch', detail: /kcv DGI 8000/ }, 'same records, other keys: the KCV differs');
  const otherName = jobDgis(7);
  otherName[0] = { tag: 0x0101, value: otherName[0]!.value.map((b, i) => (i === 6 ? b ^ 0x20 : b)) };
  const byName = await relay(reader, 'inspect', otherName);
  t.match(byName.verdict, { outcome: 'mismatch', detail: /read-back DGI 0101/ });
  for (const v of [otherKeys.verdict, byName.verdict]) {
    const detail = 'detail' in v ? v.detail : '';
    t.notOk(otherName.concat(jobDgis(8)).some((d) => d.value.length >= 3 && detail.includes(toHex(d.value.subarray(0, 3)))), 'no card data in the detail');
  }
  const extra = [...jobDgis(7), { tag: 0x0301, value: Uint8Array.of(1, 2, 3) }];
  t.match((await relay(reader, 'inspect', extra)).verdict, { outcome: 'mismatch', detail: /DGI 0301.*SW 6A8/ }, 'a DGI the card lacks');
});

void t.test('an inspect of a factory card says not personalized', async (t) => {
  const { dir, cleanup } = tempDir();
  t.teardown(cleanup);
  const { reader } = await factoryCard(dir, 'CA4D000000000006');
  t.match((await relay(reader, 'inspect', jobDgis())).verdict, { outcome: 'not-personalized', detail: /SELECTABLE/ });
  t.same((await relay(reader, 'write', jobDgis())).verdict, { outcome: 'issued' });
});

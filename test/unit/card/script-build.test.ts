/**
 * The script module's own rules, without a card round trip: profiles,
 * input checks, card authentication outcomes, determinism, and the
 * verifier's handling of short, long and odd results.
 */
import t from 'tap';
import { randomBytes } from 'node:crypto';
import { toHex } from '../../../card/bytes.js';
import type { Dgi } from '../../../card/dgi.js';
import { authenticateCard, buildScript, PROFILES, profileByName, verifyResult, type BuildScriptInput } from '../../../card/script/index.js';
import type { SubTest } from '../sim/helpers.js';
import { factoryCard, initializeUpdate, jobDgis, KMC, PROFILE, runScript, tempDir } from './script-kiosk.js';

async function session(t: SubTest, serial: string): Promise<{ input: BuildScriptInput; reader: Awaited<ReturnType<typeof factoryCard>>['reader'] }> {
  const { dir, cleanup } = tempDir();
  t.teardown(cleanup);
  const { reader } = await factoryCard(dir, serial);
  const hostChallenge = new Uint8Array(randomBytes(8));
  const iuResponse = await initializeUpdate(reader, hostChallenge);
  return { input: { kind: 'write', profile: PROFILE, kmc: KMC, hostChallenge, iuResponse, dgis: jobDgis() }, reader };
}

void t.test('profiles', (t) => {
  const p = profileByName('cardline-basic');
  t.equal(p, PROFILES['cardline-basic']);
  t.equal(toHex(p.sdAid), 'A000000151000000');
  t.equal(toHex(p.appAid), 'F0434152444C494E4501');
  t.equal(p.kvn, 0);
  t.equal(p.securityLevel, 0x33);
  t.throws(() => profileByName('nope'), { code: 'UNKNOWN_PROFILE' });
  t.throws(() => profileByName('toString'), { code: 'UNKNOWN_PROFILE' }, 'not fooled by Object.prototype');
  t.end();
});

void t.test('card authentication outcomes', async (t) => {
  const { input } = await session(t, 'CA4D000000000101');
  const ok = authenticateCard(input);
  t.match(ok, { ok: true, kvn: 0x30 });
  t.equal(ok.ok && ok.serial, toHex(input.iuResponse.subarray(0, 10)), 'serial = KDD, hex upper case');
  t.match(authenticateCard({ ...input, iuResponse: input.iuResponse.subarray(0, 20) }), { ok: false, reason: 'card-unreadable' });
  t.match(authenticateCard({ ...input, iuResponse: new Uint8Array(0) }), { ok: false, reason: 'card-unreadable' });
  const badCryptogram = input.iuResponse.slice();
  badCryptogram[21]! ^= 1; // inside the card cryptogram
  t.match(authenticateCard({ ...input, iuResponse: badCryptogram }), { ok: false, reason: 'card-authentication', detail: /CARD_CRYPTOGRAM/ });
  t.match(authenticateCard({ ...input, hostChallenge: new Uint8Array(8) }), { ok: false, reason: 'card-authentication' }, 'another challenge');
  t.match(authenticateCard({ ...input, profile: { ...PROFILE, kvn: 0x31 } }), { ok: false, reason: 'card-authentication', detail: /KEY_INVALID/ });
  t.throws(() => authenticateCard({ ...input, kmc: new Uint8Array(15) }), { code: 'ARGUMENT_INVALID' });
  t.throws(() => authenticateCard({ ...input, hostChallenge: new Uint8Array(7) }), { code: 'ARGUMENT_INVALID' });
  t.throws(() => authenticateCard({ ...input, profile: { ...PROFILE, securityLevel: 0x13 as 0x33 } }), { code: 'ARGUMENT_INVALID' });
});

void t.test('buildScript is deterministic and checks its inputs', async (t) => {
  const { input } = await session(t, 'CA4D000000000102');
  const a = buildScript(input);
  const b = buildScript({ ...input, dgis: jobDgis() });
  t.same(a.apdus.map(toHex), b.apdus.map(toHex), 'same inputs, same bytes');
  t.same(a.plan, b.plan);
  t.equal(a.apdus.length, a.plan.length);
  t.ok(a.apdus.every((x) => x.length <= 261), 'every APDU is short');

  const secret = jobDgis().find((d) => d.tag === 0x8000)!;
  t.notOk(a.apdus.some((x) => toHex(x).includes(toHex(secret.value.subarray(0, 8)))), 'no plaintext key in the script');
  const name = new TextEncoder().encode('SATO/HANAKO');
  t.notOk(a.apdus.some((x) => toHex(x).includes(toHex(name))), 'no plaintext personal data in the secured STORE DATA');

  const bad = (patch: Partial<BuildScriptInput>): void => {
    t.throws(() => buildScript({ ...input, ...patch }), { code: 'ARGUMENT_INVALID' });
  };
  bad({ kind: 'erase' as 'write' });
  bad({ dgis: [] });
  bad({ dgis: [...jobDgis(), { tag: 0x0101, value: Uint8Array.of(1) }] });
  bad({ dgis: [{ tag: 0x10000, value: Uint8Array.of(1) }] });
  bad({ dgis: [{ tag: 0x0101, value: 'x' as unknown as Uint8Array }] });
  bad({ profile: { ...PROFILE, appAid: new Uint8Array(4) } });
  // More DGI data than 256 STORE DATA blocks can carry.
  bad({ dgis: Array.from({ length: 300 }, (_, i): Dgi => ({ tag: 0x9000 + i, value: new Uint8Array(250) })) });
  t.throws(() => buildScript({ ...input, iuResponse: input.iuResponse.subarray(1) }), { code: 'CARD_UNREADABLE' });
});

void t.test('verifyResult: short, long and odd results', async (t) => {
  const { input, reader } = await session(t, 'CA4D000000000103');
  const script = buildScript(input);
  const run = await runScript(reader, script);
  const all = run.responses;
  t.same(verifyResult({ ...input, responses: all }), { outcome: 'issued' });
  t.match(verifyResult({ ...input, responses: all.slice(0, 3) }), { outcome: 'failed', at: 3, detail: /no response \(the kiosk stopped\)/ });
  t.match(verifyResult({ ...input, responses: [] }), { outcome: 'failed', at: 0 });
  t.match(verifyResult({ ...input, responses: all, error: { index: 4, code: 'TIMEOUT' } }), { outcome: 'failed', at: 4, detail: /TIMEOUT/ });
  t.match(verifyResult({ ...input, responses: all, error: { index: 4, code: 'card-removed' } }), { outcome: 'failed', at: 4, detail: /card-removed/ }, 'the wire reason codes are kept');
  t.match(verifyResult({ ...input, responses: all, error: { index: 2, code: 'card 1234 gone' } }), { outcome: 'failed', at: 2, detail: /kiosk error/ }, 'a free-text code is not echoed');
  t.match(verifyResult({ ...input, responses: [...all, Uint8Array.of(0x90, 0)] }), { outcome: 'failed', at: all.length, detail: /responses for/ });
  const noSw = all.slice();
  noSw[2] = Uint8Array.of(0x90);
  t.match(verifyResult({ ...input, responses: noSw }), { outcome: 'failed', at: 2, detail: /no SW/ });
  const refused = all.slice(0, 3);
  refused[2] = Uint8Array.of(0x6a, 0x80);
  t.match(verifyResult({ ...input, responses: refused }), { outcome: 'failed', at: 2, detail: 'step 2 (store-data): SW 6A80' });
  t.throws(() => verifyResult({ ...input, responses: [new Uint16Array(2) as unknown as Uint8Array] }), { code: 'ARGUMENT_INVALID' });
  t.throws(() => verifyResult({ ...input, responses: all, error: { index: -1, code: 'X' } }), { code: 'ARGUMENT_INVALID' });
  t.throws(() => verifyResult({ ...input, kmc: new Uint8Array(16), responses: all }), { code: 'CARD_AUTHENTICATION' });
  // The write's responses are not an inspect's: the R-MAC chain differs from step 1 on.
  t.match(verifyResult({ ...input, kind: 'inspect', responses: all.slice(0, 4) }), { outcome: 'failed', at: 1, detail: 'R-MAC invalid at step 1' });
});

/**
 * Issue 4, "Buffers holding secrets are overwritten after use, and a test
 * inspects them after a session" (DESIGN §3 "Sealed mode": the kiosk "runs
 * SCP03 itself and zeroizes everything after"; §4).
 *
 * A whole session per mode — a real kiosk agent over the rig's center,
 * relay then sealed — keeping references to the buffers that held secrets,
 * and inspecting them afterwards:
 *
 * - every command APDU of the script and every response, as they crossed
 *   the card transport (recording-station.ts): all zero once the kiosk says
 *   `verifying` (its `result` is out), and still after the session. In
 *   relay mode these are the center's secured APDUs; in sealed mode the ones
 *   the kiosk built itself from the package;
 * - in sealed mode, the package plaintext and the decoded card keys and DGI
 *   values (the RunnerDeps.watchSecrets seam; the crypto is the real one):
 *   first shown to be the real thing (the card's KDF3 keys, the
 *   application's DGIs), then all zero;
 * - the KioskSecrets the key store unsealed (the real sealed-file store,
 *   wrapped to keep its result): the signing and sealing keys live while the
 *   agent runs, all zero after `agent.stop()`, the TLS key bytes zero from
 *   the start (one OpenSSL context is built from them, then they are wiped).
 *
 * Negative twins: the SELECT and INITIALIZE UPDATE commands (nothing secret)
 * are not wiped and the inspection sees their bytes; each snapshot taken as
 * a buffer crossed shows it held data, so "all zero" is not "always zero".
 */
import t, { type Test } from 'tap';
import { equalBytes, hex } from '../../../card/bytes.js';
import { diversifyKdf3 } from '../../../card/diversify.js';
import { setKioskMode } from '../../../center/registry.js';
import { systemClock } from '../../../common/clock.js';
import { readKeyFile } from '../../../common/key-files.js';
import { startKiosk } from '../../../kiosk/agent.js';
import { decodeKioskConfig } from '../../../kiosk/config.js';
import type { KioskEvent } from '../../../kiosk/events.js';
import { SealedFileStore, type KioskKeyStore, type KioskSecrets } from '../../../kiosk/keystore/index.js';
import { allZero, recordingStation, type Exchange } from '../../fixtures/recording-station.js';
import { random, startRig } from '../../fixtures/rig.js';

const ID = 'kiosk-1';
const INS_SELECT = 0xa4;
const INS_INITIALIZE_UPDATE = 0x50;

const rig = await startRig(t, { mode: 'relay', cardsPerStation: 3 });
const files = rig.pki.kiosks[ID]!;
const reg = { db: rig.center.deps.db, audit: rig.center.deps.audit, clock: rig.center.deps.clock };

interface Watched {
  what: string;
  buffers: readonly Uint8Array[];
  /** Copies taken when the kiosk handed them over. */
  then: Uint8Array[];
}

/** The real sealed-file store of the dev PKI, keeping what it unsealed for inspection. */
function keptStore(): { store: KioskKeyStore; unsealed: () => KioskSecrets | undefined } {
  const real = new SealedFileStore({ file: files.keyStore, machineSecretFile: files.machineSecret });
  let unsealed: KioskSecrets | undefined;
  const store: KioskKeyStore = {
    kind: real.kind,
    describe: () => real.describe(),
    unseal: async () => (unsealed = await real.unseal()),
  };
  return { store, unsealed: () => unsealed };
}

async function session(t: Test, mode: 'relay' | 'sealed'): Promise<void> {
  await setKioskMode(reg, ID, mode);
  const station = recordingStation(rig.stations[ID]!);
  const watched: Watched[] = [];
  let atVerifying: { apdus: boolean[]; responses: boolean[] } | undefined;
  const script = (): Exchange[] => station.transport.exchanges.filter((x) => x.phase === 'script');
  // The kiosk's screen events say where it is: the script runs between these two, and `verifying` comes once its result is sent.
  const onEvent = (e: KioskEvent): void => {
    if (e.type === 'card-authenticated') station.transport.phase = 'script';
    if (e.type === 'verifying') {
      station.transport.phase = 'after';
      atVerifying = { apdus: script().map((x) => allZero(x.apdu)), responses: script().map((x) => allZero(x.response!)) };
    }
  };
  const { store, unsealed } = keptStore();
  const from = (await rig.audit()).length;
  const agent = await startKiosk({
    config: decodeKioskConfig({ identityDir: files.dir, keyStore: { kind: 'sealed-file', machineSecretFile: files.machineSecret }, brokerUrl: rig.center.url, station: rig.stations[ID]!.dir }),
    station,
    clock: systemClock,
    logger: rig.logs.kiosk(ID),
    random,
    events: onEvent,
    keyStore: store,
    watchSecrets: (what, buffers) => watched.push({ what, buffers, then: buffers.map((b) => b.slice()) }),
  });
  let stopped = false;
  t.teardown(() => (stopped ? undefined : agent.stop()));
  await agent.ready;
  await rig.waitForAudit((e) => e.kind === 'reader.authenticated' && e.kiosk === ID, 'the reader report', { from });
  const secrets = unsealed()!;
  t.ok(secrets, 'the agent unsealed its secrets from the store');
  t.notOk(allZero(secrets.signingKey) || allZero(secrets.sealingKey), 'while it runs, its signing and sealing keys are live');
  t.ok(allZero(secrets.tls.pem), 'the TLS key bytes are already wiped (one OpenSSL context was built from them)');

  const [app] = await rig.addApps(1);
  const r = await agent.request(app!.id, app!.code);
  t.match(r, { outcome: 'issued' }, `a card issued in ${mode} mode`);

  const ex = script();
  t.ok(ex.length >= 8, `${ex.length} script APDUs crossed the transport`);
  t.ok(ex.every((x) => !allZero(x.apduThen) && x.responseThen !== undefined && x.responseThen.length >= 2), 'each held a real command and got a response');
  t.ok(atVerifying, 'the kiosk reached `verifying` (its result was sent)');
  t.same(atVerifying?.apdus, ex.map(() => true), 'by then every script APDU buffer was all zero');
  t.same(atVerifying?.responses, ex.map(() => true), 'and every response buffer');
  t.ok(ex.every((x) => allZero(x.apdu) && allZero(x.response!)), 'still all zero after the session');
  const auth = station.transport.exchanges.filter((x) => x.phase === 'idle' && [INS_SELECT, INS_INITIALIZE_UPDATE].includes(x.apduThen[1]!));
  t.ok(auth.length >= 2 && auth.every((x) => !allZero(x.apdu) && equalBytes(x.apdu, x.apduThen)), 'negative twin: SELECT and INITIALIZE UPDATE (nothing secret) are not wiped, and the inspection sees their bytes');

  if (mode === 'sealed') await packageBuffers(t, watched, app!);
  else t.same(watched, [], 'relay mode: the kiosk opened no package');

  await agent.stop();
  stopped = true;
  t.ok(allZero(secrets.signingKey) && allZero(secrets.sealingKey) && allZero(secrets.tls.pem), 'after agent.stop(): the signing, sealing and TLS key buffers are all zero');
}

/** The package's plaintext, keys and DGI values: the real ones, and all zero now. */
async function packageBuffers(t: Test, watched: readonly Watched[], app: { id: string; dgis: readonly { tag: number; value: Uint8Array }[] }): Promise<void> {
  t.same(watched.map((w) => w.what), ['package plaintext', 'package content'], 'the kiosk opened one package and decoded it');
  const [plain, content] = watched as [Watched, Watched];
  const kdd = (await rig.jobOf(app.id))!.card_serial!;
  const kmc = await readKeyFile(rig.pki.center.issuerMasterKey, 16, { secret: true });
  const keys = diversifyKdf3(kmc, hex(kdd));
  kmc.fill(0);
  const [enc, mac, dek, ...values] = content.then;
  t.ok(equalBytes(enc!, keys.enc) && equalBytes(mac!, keys.mac) && equalBytes(dek!, keys.dek), "the content held this card's static keys (KDF3 of the KMC and its KDD)");
  t.same(values.map((v) => Buffer.from(v).toString('hex')), app.dgis.map((d) => Buffer.from(d.value).toString('hex')), "and the application's DGI values");
  t.ok(plain.then[0]!.length > 3 * 16 && !allZero(plain.then[0]!), `the plaintext held ${plain.then[0]!.length} bytes`);
  for (const b of [keys.enc, keys.mac, keys.dek]) b.fill(0);
  t.ok(allZero(plain.buffers[0]!), 'the package plaintext buffer is all zero');
  t.same(content.buffers.map(allZero), content.buffers.map(() => true), 'every key and DGI value buffer is all zero');
  for (const b of [...plain.then, ...content.then]) b.fill(0);
}

void t.test('relay mode: the script and responses the kiosk relayed are wiped; the key store secrets at stop', (t) => session(t, 'relay'));
void t.test('sealed mode: the package plaintext, card keys, DGI values, built APDUs and responses are wiped; the key store secrets at stop', (t) => session(t, 'sealed'));

/**
 * The kiosk's half of the relay protocol, for the script tests: a real
 * simulated card (hardware/sim SimCard) in a SimReader, driven the way the
 * kiosk's session runner drives it. Not a test file itself.
 *
 *   1. SELECT the ISD, INITIALIZE UPDATE with the center's host challenge,
 *      hand back the response data (SW stripped);
 *   2. run the center's script APDU by APDU, stopping at the first SW other
 *      than 9000 when the script says so, and hand back every response.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeCommand, parseResponse } from '../../../card/apdu.js';
import type { Dgi } from '../../../card/dgi.js';
import { DEFAULT_ISD_AID, selectByAid } from '../../../card/gp/index.js';
import { initializeUpdateCommand } from '../../../card/scp03/index.js';
import { TransportError } from '../../../hardware/card-transport.js';
import { SimCard } from '../../../hardware/sim/card/index.js';
import { SimReader } from '../../../hardware/sim/sim-reader.js';
import { sampleApplication } from '../../../cli/card-demo/sample.js';
import { authenticateCard, buildScript, profileByName, verifyResult, type BuiltScript, type ScriptKind, type Verdict } from '../../../card/script/index.js';

export const PROFILE = profileByName('cardline-basic');
/** The issuer master key the test cards were made with. */
export const KMC = Uint8Array.from({ length: 16 }, (_, i) => 0xa0 + i);

export function tempDir(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'cardline-script-'));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** The job's writing data: the card demo's sample application (its secrets from `seed`). */
export function jobDgis(seed = 1): Dgi[] {
  let x = seed;
  return sampleApplication((n) => Uint8Array.from({ length: n }, () => (x = (x * 73 + 41) & 0xff))).dgis;
}

export interface TestCard {
  readonly card: SimCard;
  readonly reader: SimReader;
}

/** A factory-fresh card (ISD keys KDF3(kmc, KDD)) with its EEPROM image in `dir`, powered in a reader. */
export async function factoryCard(dir: string, serial: string, kmc: Uint8Array = KMC): Promise<TestCard> {
  const card = await SimCard.open({ statePath: join(dir, `${serial}.eeprom`), profile: { serial, master: { kmc: kmc.slice() } } });
  const reader = new SimReader();
  reader.insert(card);
  await reader.powerOn();
  return { card, reader };
}

/** Kiosk step 1: SELECT ISD + INITIALIZE UPDATE. Returns the IU response data. */
export async function initializeUpdate(reader: SimReader, hostChallenge: Uint8Array): Promise<Uint8Array> {
  const sel = parseResponse(await reader.transmit(encodeCommand(selectByAid(DEFAULT_ISD_AID))));
  if (sel.sw !== 0x9000) throw new Error(`SELECT ISD ${sel.sw.toString(16)}`);
  const iu = parseResponse(await reader.transmit(encodeCommand(initializeUpdateCommand(PROFILE.kvn, hostChallenge))));
  if (iu.sw !== 0x9000) throw new Error(`INITIALIZE UPDATE ${iu.sw.toString(16)}`);
  return iu.data;
}

export interface RunResult {
  responses: Uint8Array[];
  error?: { index: number; code: string };
}

/** Kiosk step 2: runs the script; a transport failure ends the run with its code. */
export async function runScript(reader: SimReader, script: BuiltScript): Promise<RunResult> {
  const responses: Uint8Array[] = [];
  for (let i = 0; i < script.apdus.length; i++) {
    let r: Uint8Array;
    try {
      r = await reader.transmit(script.apdus[i]!);
    } catch (e) {
      if (e instanceof TransportError) return { responses, error: { index: i, code: e.code } };
      throw e;
    }
    responses.push(r);
    const sw = (r[r.length - 2]! << 8) | r[r.length - 1]!;
    if (script.stop === 'first-error' && sw !== 0x9000) break;
  }
  return { responses };
}

export interface Session {
  readonly hostChallenge: Uint8Array;
  readonly iuResponse: Uint8Array;
}

/** Center + kiosk, both round trips: challenge, IU, authentication, script, verdict. */
export async function relay(reader: SimReader, kind: ScriptKind, dgis: readonly Dgi[], opts: { kmc?: Uint8Array; beforeRun?: () => void; tamper?: (r: RunResult) => void } = {}): Promise<{ verdict: Verdict; script: BuiltScript; run: RunResult; session: Session }> {
  const kmc = opts.kmc ?? KMC;
  const hostChallenge = new Uint8Array(randomBytes(8));
  const iuResponse = await initializeUpdate(reader, hostChallenge);
  const auth = authenticateCard({ profile: PROFILE, kmc, hostChallenge, iuResponse });
  if (!auth.ok) throw new Error(`card not authenticated: ${auth.reason}`);
  const input = { kind, profile: PROFILE, kmc, hostChallenge, iuResponse, dgis };
  const script = buildScript(input);
  opts.beforeRun?.();
  const run = await runScript(reader, script);
  opts.tamper?.(run);
  // A fresh input object: verification must need nothing the build kept.
  const verdict = verifyResult({ ...input, responses: run.responses, ...(run.error ? { error: run.error } : {}) });
  return { verdict, script, run, session: { hostChallenge, iuResponse } };
}

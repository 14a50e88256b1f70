/**
 * Shared by the confinement suites: a site set up through the CLI
 * dispatcher as an operator would (`cardline pki init` with kiosk-1..3,
 * `center kiosks add` for the registered ones into a PGlite store), the
 * real mosquitto on it (test/fixtures/mosquitto.ts), and mqtt.js clients
 * with the PKI's certificates. kiosk-3 has a certificate from the same CA
 * but is not in the registry: dynsec does not know it.
 */
import type { Test } from 'tap';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MqttClient } from 'mqtt';
import { COMMANDS } from '../../../cli/commands/index.js';
import { FakeClock } from '../../../common/clock.js';
import { devPkiLayout, type DevPkiLayout } from '../../../provisioning/pki/layout.js';
import { runCommands } from '../../fixtures/cli-run.js';
import { startMosquitto, type RunningMosquitto } from '../../fixtures/mosquitto.js';
import { attemptConnect, connectClient, credsOf, type Attempt, type Creds } from '../../fixtures/mqtt-clients.js';

export interface Site {
  root: string;
  pki: DevPkiLayout;
  /** `--pki DIR --data DIR`. */
  storeArgs: string[];
  dataDir: string;
  ca: string;
}

/** Runs a `cardline` command in-process; fails the test's setup unless it exits 0. */
export async function cardline(args: string[]): Promise<string> {
  // The real time: certificates and CRLs are checked by mosquitto against its clock.
  const r = await runCommands(args, COMMANDS, { clock: new FakeClock(Date.now()) });
  if (r.code !== 0) throw new Error(`cardline ${args.join(' ')} exited ${r.code}: ${r.err}`);
  return r.out;
}

export async function makeSite(t: Test, o: { kiosks?: string[]; registered?: string[] } = {}): Promise<Site> {
  const kiosks = o.kiosks ?? ['kiosk-1', 'kiosk-2', 'kiosk-3'];
  const registered = o.registered ?? ['kiosk-1', 'kiosk-2'];
  const root = await mkdtemp(join(tmpdir(), 'cardline-confine-'));
  t.teardown(() => rm(root, { recursive: true, force: true }));
  const pkiDir = join(root, 'pki');
  const dataDir = join(root, 'data');
  await cardline(['pki', 'init', pkiDir, '--kiosks', kiosks.join(',')]);
  const storeArgs = ['--pki', pkiDir, '--data', dataDir];
  for (const id of registered) await cardline(['center', 'kiosks', 'add', '--kiosk', id, ...storeArgs]);
  const pki = devPkiLayout(pkiDir, kiosks);
  return { root, pki, storeArgs, dataDir, ca: await readFile(pki.ca.cert, 'utf8') };
}

export function broker(t: Test, site: Site): Promise<RunningMosquitto> {
  return startMosquitto({ pkiDir: site.pki.dir, store: { dataDir: site.dataDir }, t });
}

export async function connectAs(t: Test, m: { url: string }, site: Site, who: string, clientId = who === 'center' ? 'cardline-center-test' : who): Promise<MqttClient> {
  return connectClient(t, m.url, site.ca, await credsOf(site.pki, who), clientId);
}

export function attemptAs(m: { url: string }, site: Site, creds: Creds, clientId: string): Promise<Attempt> {
  return attemptConnect(m.url, site.ca, creds, clientId);
}

/** The SUBACK return code of one filter (mqtt.js rejects a refused one; its packet carries the code). */
export async function subscribeCode(c: MqttClient, filter: string): Promise<number> {
  try {
    const granted = await c.subscribeAsync(filter, { qos: 1 });
    return granted[0]?.qos ?? -1;
  } catch (e) {
    const code = (e as { packet?: { granted?: number[] } }).packet?.granted?.[0];
    if (code === undefined) throw e;
    return code;
  }
}

/** Messages a client receives, as `topic payload`. */
export function inbox(c: MqttClient): string[] {
  const got: string[] = [];
  c.on('message', (topic, payload) => got.push(`${topic} ${payload.toString()}`));
  return got;
}

export async function waitFor(cond: () => boolean, what: string, ms = 5000): Promise<void> {
  const until = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A regular expression matching `s` literally. */
export function literal(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * A center with its enrolment endpoint (real HTTPS on loopback, PGlite, the
 * dev PKI's issuing CA) for the enrolment tests: the rig (test/fixtures/rig.ts)
 * without kiosks, the endpoint started beside it as `cardline center
 * --enrol` does, and what the tests need to make tokens, build requests as
 * a kiosk would, post them and read the state back. Not a test file.
 */
import { createHash, randomBytes } from 'node:crypto';
import { request } from 'node:https';
import { join } from 'node:path';
import { createEnrolmentToken } from '../../../center/enrol/tokens.js';
import { startEnrolServer, type RunningEnrolServer } from '../../../center/enrol/server.js';
import { pkiEnrolIssuer } from '../../../cli/commands/enrol-issuer.js';
import { signEnrolProof } from '../../../wire/enrol-proof.js';
import { newSoftwareTlsKey } from '../../../kiosk/keystore/software-tls.js';
import { ed25519PublicKey } from '../../../wire/keys.js';
import { sealingPublicKey } from '../../../wire/package.js';
import type { AuditRecord } from '../../../center/audit/entry-text.js';
import { registerBatch } from '../../../center/stock.js';
import { createStockedStation } from '../../../cli/commands/stock-sim.js';
import { systemClock } from '../../../common/clock.js';
import { readKeyFile } from '../../../common/key-files.js';
import type { SimStation } from '../../../hardware/sim/sim-station.js';
import { random, startRig, type Rig } from '../../fixtures/rig.js';

export interface Teardown {
  teardown(fn: () => unknown): void;
}

export interface Answer {
  status: number;
  json: Record<string, unknown>;
}

export interface EnrolRig {
  rig: Rig;
  server: RunningEnrolServer;
  /** A new token for `kiosk` at `site` (the center's own function, as `center enrol-token` calls it). */
  token(kiosk: string, site?: string): Promise<string>;
  /** The JSON request a kiosk would send, with fresh keys; `csrFor` makes the CSR for another CN. */
  request(kiosk: string, token: string, o?: { csrFor?: string }): Promise<Record<string, string | number>>;
  post(body: unknown, o?: { headers?: Record<string, string>; method?: string; path?: string; server?: RunningEnrolServer }): Promise<Answer>;
  /** Null: unused; undefined: no such token. */
  usedAt(token: string): Promise<Date | null | undefined>;
  kioskCount(id: string): Promise<number>;
  /** The enrol.refused entries from audit index `from`. */
  refusals(from: number): Promise<AuditRecord[]>;
  auditSize(): Promise<number>;
  /**
   * A simulated station in `dir` for an enrolled kiosk, as the rig makes
   * them: a hopper of prepared stock whose batch is registered, its reader
   * added to the kiosk's registry (pushed if the kiosk is connected).
   */
  station(kiosk: string, dir: string, serialPrefix: string): Promise<SimStation>;
}

export async function startEnrolRig(t: Teardown, o: { requestsPerMinute?: number } = {}): Promise<EnrolRig> {
  const rig = await startRig(t, { kiosks: [] });
  const d = rig.center.deps;
  const issuer = pkiEnrolIssuer(join(rig.dir, 'pki'), { random, clock: d.clock });
  const server = await startEnrolServer({ ...d, issuer, port: 0, tls: { cert: d.keys.brokerTls.cert, key: d.keys.brokerTls.key }, requestsPerMinute: o.requestsPerMinute ?? 1000 });
  t.teardown(() => server.close());
  const hashOf = (token: string): Buffer => createHash('sha256').update(Buffer.from(token, 'base64url')).digest();
  return {
    rig,
    server,
    token: async (kiosk, site = 'site-1') => (await createEnrolmentToken({ ...d }, { kiosk, site, createdBy: 'test' })).token,
    async request(kiosk, token, r = {}) {
      const signing = new Uint8Array(randomBytes(32));
      const sealing = new Uint8Array(randomBytes(32));
      const tls = await newSoftwareTlsKey(r.csrFor ?? kiosk);
      tls.pkcs8Pem.fill(0);
      const sealingPub = sealingPublicKey(sealing);
      const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
      return { v: 1, kiosk, token, csr: tls.csr, signingPublicKey: hex(ed25519PublicKey(signing)), sealingPublicKey: hex(sealingPub), proof: hex(signEnrolProof(signing, kiosk, tls.csr, sealingPub)) };
    },
    post: (body, p = {}) => post(p.server ?? server, rig.ca, body, p),
    usedAt: async (token) => (await d.db.query<{ used_at: Date | null }>('SELECT used_at FROM enrolment_tokens WHERE token_hash = $1', [hashOf(token)])).rows[0]?.used_at,
    kioskCount: async (id) => (await d.db.query<{ n: number }>('SELECT count(*)::int AS n FROM kiosks WHERE id = $1', [id])).rows[0]!.n,
    refusals: async (from) => (await rig.audit(from)).filter((e) => e.kind === 'enrol.refused'),
    auditSize: async () => (await rig.audit()).length,
    async station(kiosk, dir, serialPrefix) {
      const kmc = await readKeyFile(join(rig.dir, 'pki', 'center', 'issuer-master.key'), 16, { secret: true });
      try {
        const { station, manifest } = await createStockedStation(dir, { stockMasterKey: kmc, clock: systemClock, random, count: 2, batch: `enrol-${kiosk}`, serialPrefix });
        t.teardown(() => station.close());
        await registerBatch({ db: d.db, audit: d.audit, clock: d.clock }, manifest, 'test');
        await rig.center.readers.add({ kiosk, id: station.identity.id, kind: 'sim', ...station.identity.descriptor, publicKey: await readKeyFile(join(station.dir, 'reader.pub'), 32) });
        return station;
      } finally {
        kmc.fill(0);
      }
    },
  };
}

function post(server: RunningEnrolServer, ca: string, body: unknown, o: { headers?: Record<string, string>; method?: string; path?: string }): Promise<Answer> {
  const data = Buffer.isBuffer(body) ? body : Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port: server.port, method: o.method ?? 'POST', path: o.path ?? '/v1/enrol', ca, headers: { 'Content-Type': 'application/json', 'Content-Length': String(data.length), ...o.headers } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          try {
            resolve({ status: res.statusCode ?? 0, json: JSON.parse(text) as Record<string, unknown> });
          } catch {
            reject(new Error(`not JSON (${res.statusCode}): ${text.slice(0, 200)}`));
          }
        });
      },
    );
    // The server may answer and close before the whole (refused) body is sent.
    req.on('error', (e: NodeJS.ErrnoException) => (e.code === 'EPIPE' || e.code === 'ECONNRESET' ? undefined : reject(e)));
    req.end(o.method === 'GET' ? undefined : data);
  });
}

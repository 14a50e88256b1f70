/**
 * `cardline kiosk enrol` (docs/provisioning.md §2): a new kiosk's identity,
 * claim-style. In order:
 *
 * 1. refuse an identity directory that already holds a key store or any of
 *    the public files (EXISTS): enrolment makes a kiosk, it never replaces one;
 * 2. the keys born in the store (keystore/generate.ts), the proof signed
 *    while the signing key is in memory;
 * 3. the request POSTed over HTTPS to the center (client.ts), the token's
 *    bytes copied into the body only, both zeroized after;
 * 4. the answer checked (answer.ts);
 * 5. the public files written atomically, the layout `cardline kiosk
 *    --identity DIR` reads (identity.ts, registry-file.ts, docs/pki.md):
 *    tls.crt, ca.crt, center-signing.pub, signing.pub, sealing.pub,
 *    registry.json.
 *
 * Any failure after step 2 removes what this run wrote, the store included:
 * nothing is left half-enrolled, and the installer may simply run it again
 * (with a new token if the center had used the first).
 */
import { access, rmdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { Clock } from '../../common/clock.js';
import { writeKeyFile, writePemFile } from '../../common/key-files.js';
import type { Logger } from '../../common/log.js';
import { ID_PATTERN } from '../../wire/messages.js';
import type { KeyStoreConfig } from '../config.js';
import { IDENTITY_FILES } from '../identity.js';
import type { Exec } from '../keystore/exec.js';
import { generateKeysInStore, makeDirs, removeGeneratedStore, storeExists, type GeneratedStore } from '../keystore/generate.js';
import type { ScryptParams } from '../keystore/sealed-file-format.js';
import { KeyStoreError } from '../keystore/types.js';
import { REGISTRY_FILE, saveSignedRegistry } from '../registry-file.js';
import { checkAnswer } from './answer.js';
import { postEnrolment } from './client.js';
import { EnrolClientError } from './errors.js';
import { signEnrolProof } from './proof.js';

export const ENROL_PUBLIC_FILES = { ...IDENTITY_FILES, signingPub: 'signing.pub', sealingPub: 'sealing.pub', registry: REGISTRY_FILE } as const;

export interface EnrolKioskOptions {
  center: URL;
  /** The trust anchor (PEM) the center's certificate and the kiosk's must chain to. */
  caPem: string;
  kioskId: string;
  /** The token's 43 characters as bytes (token-file.ts); zeroized here. */
  token: Buffer;
  identityDir: string;
  keyStore: KeyStoreConfig;
  scrypt?: ScryptParams;
  timeoutMs?: number;
}

export interface EnrolKioskDeps {
  random: (n: number) => Uint8Array;
  clock: Clock;
  logger: Logger;
  exec: Exec;
  env: NodeJS.ProcessEnv;
}

export interface EnrolledKiosk {
  kioskId: string;
  identityDir: string;
  keyStore: { kind: KeyStoreConfig['kind']; location: string };
  certificate: { serial: string; fingerprint: string; notAfter: string };
  signingPublicKey: string;
  sealingPublicKey: string;
  registryVersion: number;
  files: string[];
}

export async function enrolKiosk(o: EnrolKioskOptions, deps: EnrolKioskDeps): Promise<EnrolledKiosk> {
  const log = deps.logger.child('enrol');
  const written: string[] = [];
  let store: GeneratedStore | undefined;
  let dirs: string[] = [];
  let body: Buffer | undefined;
  try {
    if (!ID_PATTERN.test(o.kioskId)) throw new EnrolClientError('OPTION_INVALID', '--kiosk: 1..64 of [A-Za-z0-9._-]');
    await refuseExisting(o.identityDir, o.keyStore);
    dirs = await makeDirs(o.identityDir);
    store = await generateKeysInStore({ kioskId: o.kioskId, identityDir: o.identityDir, keyStore: o.keyStore, random: deps.random, ...(o.scrypt ? { scrypt: o.scrypt } : {}), exec: deps.exec, env: deps.env, logger: log }, (signingKey, csr, sealingPub) =>
      signEnrolProof(signingKey, o.kioskId, csr, sealingPub),
    );
    const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
    const signingPublicKey = hex(store.signingPublicKey);
    const sealingPublicKey = hex(store.sealingPublicKey);
    // The token's bytes go into the body and nowhere else (never a JS string).
    body = Buffer.concat([
      Buffer.from(`{"v":1,"kiosk":${JSON.stringify(o.kioskId)},"token":"`, 'utf8'),
      o.token,
      Buffer.from(`","csr":${JSON.stringify(store.csr)},"signingPublicKey":"${signingPublicKey}","sealingPublicKey":"${sealingPublicKey}","proof":"${hex(store.signature)}"}`, 'utf8'),
    ]);
    log.info('enrolling', { kiosk: o.kioskId, center: o.center.origin, store: store.kind });
    const json = await postEnrolment(body, { center: o.center, ca: o.caPem, ...(o.timeoutMs ? { timeoutMs: o.timeoutMs } : {}) });
    const answer = checkAnswer(json, { kioskId: o.kioskId, csr: store.csr, caPem: o.caPem, clock: deps.clock });
    const path = (name: string): string => join(o.identityDir, name);
    const write = async (name: string, f: (p: string) => Promise<unknown>): Promise<void> => {
      await f(path(name));
      written.push(path(name));
    };
    await write(ENROL_PUBLIC_FILES.cert, (p) => writePemFile(p, answer.certificate, { secret: false }));
    await write(ENROL_PUBLIC_FILES.ca, (p) => writePemFile(p, o.caPem, { secret: false }));
    await write(ENROL_PUBLIC_FILES.centerPublicKey, (p) => writeKeyFile(p, answer.centerSigningPublicKey, { secret: false }));
    await write(ENROL_PUBLIC_FILES.signingPub, (p) => writeKeyFile(p, store!.signingPublicKey, { secret: false }));
    await write(ENROL_PUBLIC_FILES.sealingPub, (p) => writeKeyFile(p, store!.sealingPublicKey, { secret: false }));
    await write(ENROL_PUBLIC_FILES.registry, (p) => saveSignedRegistry(p, answer.signedRegistry));
    const leaf = answer.leaf;
    log.info('kiosk enrolled', { kiosk: o.kioskId, fingerprint: leaf.fingerprint256, notAfter: leaf.validTo });
    return {
      kioskId: o.kioskId,
      identityDir: o.identityDir,
      keyStore: { kind: store.kind, location: store.location },
      certificate: { serial: leaf.serialNumber.toLowerCase(), fingerprint: leaf.fingerprint256, notAfter: new Date(leaf.validTo).toISOString() },
      signingPublicKey,
      sealingPublicKey,
      registryVersion: answer.registry.version,
      files: [...written],
    };
  } catch (e) {
    for (const p of written.reverse()) await unlink(p).catch(() => undefined);
    if (store) await removeGeneratedStore(store);
    for (const d of dirs.reverse()) await rmdir(d).catch(() => undefined);
    log.warn('enrolment failed: nothing kept', { kiosk: o.kioskId, code: (e as { code?: unknown }).code ?? 'INTERNAL' });
    throw e;
  } finally {
    o.token.fill(0);
    body?.fill(0);
  }
}

/** EXISTS when the directory already holds a store or one of the public files. */
async function refuseExisting(dir: string, k: KeyStoreConfig): Promise<void> {
  const held = await storeExists(dir, k);
  if (held !== undefined) throw new KeyStoreError('EXISTS', `${held} already exists: this kiosk already has a key store (enrolment does not replace one)`);
  for (const name of Object.values(ENROL_PUBLIC_FILES)) {
    const p = join(dir, name);
    if (await access(p).then(() => true, () => false)) throw new KeyStoreError('EXISTS', `${p} already exists: this directory already holds an identity`);
  }
}

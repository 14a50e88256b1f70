/**
 * `cardline kiosk enrol` (docs/provisioning.md §2): a new kiosk's identity,
 * claim-style. In order:
 *
 * 1. refuse an identity directory that already holds a key store or any of
 *    the public files (EXISTS): enrolment makes a kiosk, it never replaces
 *    one — except a pending enrolment (pending-enrolment.ts: its marker for
 *    this kiosk and kind, the store complete, no public file), whose keys
 *    and request are used again;
 * 2. the keys born in the store (keystore/generate.ts), the proof signed
 *    while the signing key is in memory; the request (public) kept as the
 *    marker `enrol.pending`;
 * 3. the request POSTed over HTTPS to the center (client.ts), the token's
 *    bytes copied into the body only, both zeroized after;
 * 4. the answer checked (answer.ts);
 * 5. the public files written atomically, the layout `cardline kiosk
 *    --identity DIR` reads (identity.ts, registry-file.ts, docs/pki.md):
 *    tls.crt, ca.crt, center-signing.pub, signing.pub, sealing.pub,
 *    registry.json; then the marker removed.
 *
 * A failure removes the public files this run wrote. The store and the
 * marker go too when the request cannot have reached the center (before
 * the TLS handshake with it succeeded) or when the center refused it (a
 * 4xx other than 429: it enrolled nothing). Otherwise the center may have
 * enrolled the kiosk — it commits before it answers — so they stay, and the
 * error says to run the same command again: the center answers the same
 * request with the same token again while the token lasts.
 */
import { access, rmdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { Clock } from '../../common/clock.js';
import { writeKeyFile, writePemFile } from '../../common/key-files.js';
import type { Logger } from '../../common/log.js';
import { signEnrolProof } from '../../wire/enrol-proof.js';
import { ID_PATTERN } from '../../wire/messages.js';
import type { KeyStoreConfig } from '../config.js';
import { IDENTITY_FILES } from '../identity.js';
import type { Exec } from '../keystore/exec.js';
import { generateKeysInStore, makeDirs, removeGeneratedStore, storeExists, type GeneratedStore } from '../keystore/generate.js';
import type { ScryptParams } from '../keystore/sealed-file-format.js';
import { sealedFileOf, tpmDirOf } from '../keystore/pending.js';
import { tpmStoreFiles } from '../keystore/tpm-layout.js';
import { KeyStoreError } from '../keystore/types.js';
import { REGISTRY_FILE, saveSignedRegistry } from '../registry-file.js';
import { checkAnswer } from './answer.js';
import { postEnrolment } from './client.js';
import { EnrolClientError, isEnrolClientError } from './errors.js';
import { PENDING_ENROLMENT_FILE, readPendingEnrolment, removePendingEnrolment, writePendingEnrolment, type PendingEnrolment } from './pending-enrolment.js';

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
  // From the marker on, the keys are those of a request the center may have taken.
  let reused = false;
  let sent = false;
  try {
    if (!ID_PATTERN.test(o.kioskId)) throw new EnrolClientError('OPTION_INVALID', '--kiosk: 1..64 of [A-Za-z0-9._-]');
    const pending = await refuseExisting(o.identityDir, o.keyStore, o.kioskId);
    let request: PendingEnrolment;
    if (pending) {
      reused = true;
      request = pending;
      store = keptStore(o.identityDir, o.keyStore);
      log.warn('a pending enrolment found: its keys and request are sent again', { kiosk: o.kioskId, store: store.kind });
    } else {
      dirs = await makeDirs(o.identityDir);
      store = await generateKeysInStore({ kioskId: o.kioskId, identityDir: o.identityDir, keyStore: o.keyStore, random: deps.random, ...(o.scrypt ? { scrypt: o.scrypt } : {}), exec: deps.exec, env: deps.env, logger: log }, (signingKey, csr, sealingPub) =>
        signEnrolProof(signingKey, o.kioskId, csr, sealingPub),
      );
      request = { v: 1, kiosk: o.kioskId, store: store.kind, csr: store.csr, signingPublicKey: hex(store.signingPublicKey), sealingPublicKey: hex(store.sealingPublicKey), proof: hex(store.signature) };
      await writePendingEnrolment(o.identityDir, request);
    }
    // The token's bytes go into the body and nowhere else (never a JS string).
    body = Buffer.concat([
      Buffer.from(`{"v":1,"kiosk":${JSON.stringify(o.kioskId)},"token":"`, 'utf8'),
      o.token,
      Buffer.from(`","csr":${JSON.stringify(request.csr)},"signingPublicKey":"${request.signingPublicKey}","sealingPublicKey":"${request.sealingPublicKey}","proof":"${request.proof}"}`, 'utf8'),
    ]);
    log.info('enrolling', { kiosk: o.kioskId, center: o.center.origin, store: store.kind, again: reused });
    const json = await postEnrolment(body, { center: o.center, ca: o.caPem, ...(o.timeoutMs ? { timeoutMs: o.timeoutMs } : {}), onSent: () => (sent = true) });
    const answer = checkAnswer(json, { kioskId: o.kioskId, csr: request.csr, caPem: o.caPem, clock: deps.clock });
    const path = (name: string): string => join(o.identityDir, name);
    const write = async (name: string, f: (p: string) => Promise<unknown>): Promise<void> => {
      await f(path(name));
      written.push(path(name));
    };
    const signingPub = new Uint8Array(Buffer.from(request.signingPublicKey, 'hex'));
    const sealingPub = new Uint8Array(Buffer.from(request.sealingPublicKey, 'hex'));
    await write(ENROL_PUBLIC_FILES.cert, (p) => writePemFile(p, answer.certificate, { secret: false }));
    await write(ENROL_PUBLIC_FILES.ca, (p) => writePemFile(p, o.caPem, { secret: false }));
    await write(ENROL_PUBLIC_FILES.centerPublicKey, (p) => writeKeyFile(p, answer.centerSigningPublicKey, { secret: false }));
    await write(ENROL_PUBLIC_FILES.signingPub, (p) => writeKeyFile(p, signingPub, { secret: false }));
    await write(ENROL_PUBLIC_FILES.sealingPub, (p) => writeKeyFile(p, sealingPub, { secret: false }));
    await write(ENROL_PUBLIC_FILES.registry, (p) => saveSignedRegistry(p, answer.signedRegistry));
    await removePendingEnrolment(o.identityDir);
    const leaf = answer.leaf;
    log.info('kiosk enrolled', { kiosk: o.kioskId, fingerprint: leaf.fingerprint256, notAfter: leaf.validTo });
    return {
      kioskId: o.kioskId,
      identityDir: o.identityDir,
      keyStore: { kind: store.kind, location: store.location },
      certificate: { serial: leaf.serialNumber.toLowerCase(), fingerprint: leaf.fingerprint256, notAfter: new Date(leaf.validTo).toISOString() },
      signingPublicKey: request.signingPublicKey,
      sealingPublicKey: request.sealingPublicKey,
      registryVersion: answer.registry.version,
      files: [...written],
    };
  } catch (e) {
    for (const p of written.reverse()) await unlink(p).catch(() => undefined);
    const code = (e as { code?: unknown }).code ?? 'INTERNAL';
    if (store && (sent || reused) && !isEnrolClientError(e, 'REFUSED')) {
      // The center may hold this enrolment: the keys and the request stay for the same request again.
      log.warn('enrolment failed: the keys and the request are kept for a retry', { kiosk: o.kioskId, code, sent });
      throw keptForRetry(e, o.identityDir);
    }
    if (store) {
      // This run's store and marker (or the pending ones it sent again, now refused by the center).
      await removePendingEnrolment(o.identityDir).catch(() => undefined);
      await removeGeneratedStore(store);
    }
    for (const d of dirs.reverse()) await rmdir(d).catch(() => undefined);
    log.warn('enrolment failed: nothing kept', { kiosk: o.kioskId, code });
    throw e;
  } finally {
    o.token.fill(0);
    body?.fill(0);
  }
}

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

/** The failure, told to run the same command again (the exit code stays the failure's). */
function keptForRetry(e: unknown, dir: string): EnrolClientError {
  const hint = `the keys and the request are kept in ${dir} (${PENDING_ENROLMENT_FILE}): the center may have enrolled this kiosk already; run the same command again, with the same token, before it expires`;
  if (e instanceof EnrolClientError) return new EnrolClientError(e.code, `${e.detail}; ${hint}`, e.centerCode);
  const code = (e as { code?: unknown }).code;
  return new EnrolClientError('WRITE_FAILED', `the identity could not be written (${typeof code === 'string' ? code : 'error'}); ${hint}`);
}

/** The store of a pending enrolment, as removeGeneratedStore takes it (the directories are not this run's). */
function keptStore(dir: string, k: KeyStoreConfig): GeneratedStore {
  const files = storeFiles(dir, k);
  const location = k.kind === 'sealed-file' ? files[0]! : tpmDirOf({ identityDir: dir, keyStore: k });
  return { kind: k.kind, csr: '', signingPublicKey: new Uint8Array(0), sealingPublicKey: new Uint8Array(0), signature: new Uint8Array(0), location, files, dirs: [] };
}

/** The files a complete store of the configured kind has. */
function storeFiles(dir: string, k: KeyStoreConfig): string[] {
  const config = { identityDir: dir, keyStore: k };
  if (k.kind === 'sealed-file') return [sealedFileOf(config)];
  const f = tpmStoreFiles(tpmDirOf(config));
  return [f.pub, f.priv, f.tlsKey, f.csr, f.pcrs];
}

/**
 * EXISTS when the directory already holds a store or one of the public
 * files — unless it holds a pending enrolment (its marker for this kiosk
 * and this kind of store, the store complete, no public file): then that
 * marker, whose request is sent again.
 */
async function refuseExisting(dir: string, k: KeyStoreConfig, kioskId: string): Promise<PendingEnrolment | undefined> {
  for (const name of Object.values(ENROL_PUBLIC_FILES)) {
    const p = join(dir, name);
    if (await exists(p)) throw new KeyStoreError('EXISTS', `${p} already exists: this directory already holds an identity`);
  }
  const pending = await readPendingEnrolment(dir);
  if (pending === undefined) {
    const held = await storeExists(dir, k);
    if (held !== undefined) throw new KeyStoreError('EXISTS', `${held} already exists: this kiosk already has a key store (enrolment does not replace one)`);
    return undefined;
  }
  const marker = join(dir, PENDING_ENROLMENT_FILE);
  if (pending.kiosk !== kioskId) throw new KeyStoreError('EXISTS', `${marker}: a pending enrolment of kiosk ${pending.kiosk}, not ${kioskId}`);
  if (pending.store !== k.kind) throw new KeyStoreError('EXISTS', `${marker}: a pending enrolment into a ${pending.store} store, not ${k.kind}`);
  for (const f of storeFiles(dir, k)) {
    if (!(await exists(f))) throw new KeyStoreError('EXISTS', `${marker}: a pending enrolment whose key store is incomplete (${f} missing): wipe the directory (cardline kiosk wipe) to start over`);
  }
  return pending;
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

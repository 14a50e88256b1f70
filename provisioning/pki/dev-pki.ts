/**
 * A development PKI in one directory (docs/pki.md): the two tiers of the
 * fleet CA (root in root/, issuing CA in ca/, fleet-ca.ts) with their empty
 * CRLs, the broker's server certificate, the center's client certificate
 * and its keys (signing, data, audit, issuer master), and per kiosk a client
 * certificate, a signing key and a sealing key. Every leaf is issued by the
 * issuing CA and its tls.crt holds the leaf followed by the issuing CA's
 * certificate, so that a peer that trusts only the root (ca/ca.crt) can
 * build the chain.
 *
 * Every key is generated here, secrets with mode 0600. That is what makes
 * it a *development* PKI: in production the root stays offline, kiosk device
 * keys are born in the TPM, and the center's keys live in its key store or
 * an HSM (DESIGN §4). A kiosk's private keys never become plain files: they
 * go straight into its sealed key store (`keys.sealed`, scrypt N = 2^14,
 * under a dev-only `machine-secret` beside it; docs/keystore.md), written
 * by the injected `sealKiosk` (kiosk/keystore's sealDevKiosk — provisioning/
 * may not import kiosk/, DESIGN §2). Only the public halves are files:
 * signing.pub, sealing.pub.
 *
 * initDevPki writes ca/ca.crt last: it marks a complete PKI. When anything
 * fails on the way, the files written so far are removed again, so a retry
 * starts from the same empty directory.
 */
import { randomBytes } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { relative } from 'node:path';
import { systemClock, type Clock } from '../../common/clock.js';
import { KeyFileError, readKeyFile } from '../../common/key-files.js';
import { silentLogger, type Logger } from '../../common/log.js';
import { ed25519PublicKey, newEd25519Secret } from '../../wire/keys.js';
import { sealingPublicKey, X25519_BYTES } from '../../wire/package.js';
import { issueCertificate, MAX_DAYS, pemJoin, type Ca, type Random } from './ca.js';
import { loadIssuing } from './ca-files.js';
import { PkiError } from './errors.js';
import { DEFAULT_ISSUING_DAYS, DEFAULT_ROOT_DAYS, exists, writeIssuingCa, writeRootCa } from './fleet-ca.js';
import { BROKER_CN, CENTER_CN, devPkiLayout, kioskLayout, type DevPkiLayout, type KioskFiles } from './layout.js';
import { exportPkcs8Pem, exportPkcs8PemBytes, newP256KeyPair } from './tls-keys.js';
import { WrittenFiles } from './written-files.js';

export { devPkiLayout, kioskLayout, type DevPkiLayout, type KioskFiles } from './layout.js';
export type { Random } from './ca.js';

/** Validity of the broker, center and kiosk certificates, in days. */
export const DEFAULT_LEAF_DAYS = 90;
/** CNs of the development CAs. */
export const DEV_ROOT_NAME = 'Cardline development root CA';
export const DEV_ISSUING_NAME = 'Cardline development issuing CA';

/** What the dev PKI made for one kiosk, as bytes; zeroized once `sealKiosk` resolves. */
export interface DevKioskSecrets {
  /** Ed25519 secret (32 bytes). */
  signingKey: Uint8Array;
  /** X25519 secret (32 bytes). */
  sealingKey: Uint8Array;
  /** The TLS key, PKCS#8 PEM bytes. */
  tlsKeyPem: Uint8Array;
}

/**
 * Seals a kiosk's secrets into `files.keyStore` under the machine secret
 * already written at `files.machineSecret` (kiosk/keystore's sealDevKiosk).
 * It must not keep the buffers.
 */
export type SealKioskStore = (files: KioskFiles, secrets: DevKioskSecrets, random: Random) => Promise<void>;

export interface DevPkiOptions {
  kiosks: string[];
  /** Writes each kiosk's sealed key store (injected: kiosk/keystore's sealDevKiosk). */
  sealKiosk: SealKioskStore;
  /** Validity of the leaf certificates (default 90 days). */
  days?: number;
  /** Validity of the issuing CA (default 1825 days). Its CRL lasts DEFAULT_CRL_DAYS, the root's a year. */
  caDays?: number;
  /** Validity of the root CA (default 7300 days). */
  rootDays?: number;
  random?: Random;
  clock?: Clock;
  logger?: Logger;
}

export type AddKioskOptions = Omit<DevPkiOptions, 'kiosks' | 'caDays' | 'rootDays'>;

const defaultRandom: Random = (n) => new Uint8Array(randomBytes(n));

/** Creates a development PKI in `dir`. Throws PkiError EXISTS when `dir` already holds one (or any of its files). */
export async function initDevPki(dir: string, opts: DevPkiOptions): Promise<DevPkiLayout> {
  const layout = devPkiLayout(dir, opts.kiosks);
  const ctx = context(opts);
  const caDays = opts.caDays ?? DEFAULT_ISSUING_DAYS;
  const rootDays = opts.rootDays ?? DEFAULT_ROOT_DAYS;
  checkDays(caDays, 'issuing CA validity');
  checkDays(rootDays, 'root CA validity');
  if (ctx.days > caDays) throw new PkiError('INVALID_ARGUMENT', `certificates of ${ctx.days} days would outlive the issuing CA (${caDays} days)`);
  if (caDays > rootDays) throw new PkiError('INVALID_ARGUMENT', `an issuing CA of ${caDays} days would outlive the root (${rootDays} days)`);
  if (await exists(layout.ca.cert)) throw new PkiError('EXISTS', `${layout.dir} already holds a PKI (ca/ca.crt exists)`);
  for (const path of filesOf(layout)) {
    if (await exists(path)) throw new PkiError('EXISTS', `${relative(layout.dir, path)} already exists in ${layout.dir}`);
  }
  const files = new WrittenFiles();
  try {
    for (const d of [layout.broker.dir, layout.center.dir]) await mkdir(d, { recursive: true, mode: 0o700 });
    const root = await writeRootCa(files, layout.root, { name: DEV_ROOT_NAME, days: rootDays, random: ctx.random, clock: ctx.clock });
    const issuing = await writeIssuingCa(files, root.ca, root.crlPem, layout.ca, { name: DEV_ISSUING_NAME, days: caDays, random: ctx.random, clock: ctx.clock });

    const broker = await newLeaf(issuing, ctx, { cn: BROKER_CN, ou: 'broker' }, 'server', { dns: ['localhost'], ip: ['127.0.0.1', '::1'] });
    await files.pem(layout.broker.key, broker.key, true);
    await files.pem(layout.broker.cert, broker.cert, false);

    const center = await newLeaf(issuing, ctx, { cn: CENTER_CN, ou: 'center' }, 'client');
    await files.pem(layout.center.key, center.key, true);
    await files.pem(layout.center.cert, center.cert, false);
    const centerPub = await files.signingKey(layout.center.signingKey, layout.center.signingPub, ctx.random);
    await files.randomKey(layout.center.dataKey, 32, ctx.random);
    await files.randomKey(layout.center.auditKey, 32, ctx.random);
    await files.randomKey(layout.center.issuerMasterKey, 16, ctx.random);

    for (const k of Object.values(layout.kiosks)) await writeKiosk(files, issuing, root.ca.certPem, k, centerPub, ctx);
    // Last: its presence means the PKI is complete.
    await files.pem(layout.ca.cert, root.ca.certPem, false);
  } catch (e) {
    await files.rollback();
    throw e;
  }
  ctx.logger.info('development PKI created', { kiosks: opts.kiosks.length, days: ctx.days });
  return layout;
}

/** Adds one kiosk to an existing development PKI. Throws PkiError NOT_FOUND (no PKI) or EXISTS (the kiosk has files). */
export async function addDevKiosk(dir: string, id: string, opts: AddKioskOptions): Promise<KioskFiles> {
  const layout = devPkiLayout(dir, []);
  const kiosk = kioskLayout(dir, id);
  const ctx = context(opts);
  const issuing = await loadIssuing(dir);
  const centerPub = await needFile(readKeyFile(layout.center.signingPub, 32));
  for (const path of kioskPaths(kiosk)) {
    if (await exists(path)) throw new PkiError('EXISTS', `kiosk '${id}' already has files in ${kiosk.dir}`);
  }
  const files = new WrittenFiles();
  try {
    await writeKiosk(files, issuing.ca, issuing.rootPem, kiosk, centerPub, ctx);
  } catch (e) {
    await files.rollback();
    throw e;
  }
  ctx.logger.info('development kiosk added', { kiosk: id, days: ctx.days });
  return kiosk;
}

interface Ctx {
  days: number;
  random: Random;
  clock: Clock;
  logger: Logger;
  sealKiosk: SealKioskStore;
}

function context(opts: AddKioskOptions): Ctx {
  const days = opts.days ?? DEFAULT_LEAF_DAYS;
  checkDays(days, 'certificate validity');
  if (typeof opts.sealKiosk !== 'function') throw new PkiError('INVALID_ARGUMENT', 'sealKiosk is required: kiosk keys are only written into a sealed store');
  return {
    days,
    random: opts.random ?? defaultRandom,
    clock: opts.clock ?? systemClock,
    logger: (opts.logger ?? silentLogger).child('pki'),
    sealKiosk: opts.sealKiosk,
  };
}

/** A kiosk's files: tls.crt = its certificate then the issuing CA's, ca.crt = the root (`rootPem`). */
async function writeKiosk(files: WrittenFiles, ca: Ca, rootPem: string, k: KioskFiles, centerPub: Uint8Array, ctx: Ctx): Promise<void> {
  await mkdir(k.dir, { recursive: true, mode: 0o700 });
  const kp = await newP256KeyPair();
  const issued = await issueCertificate({ ca, subject: { cn: k.id, ou: 'kiosk' }, profile: 'client', days: ctx.days, publicKey: kp.publicKey, random: ctx.random, clock: ctx.clock });
  const secrets: DevKioskSecrets = { signingKey: newEd25519Secret(ctx.random), sealingKey: ctx.random(X25519_BYTES), tlsKeyPem: await exportPkcs8PemBytes(kp.privateKey) };
  try {
    if (!(secrets.sealingKey instanceof Uint8Array) || secrets.sealingKey.length !== X25519_BYTES) throw new PkiError('INVALID_ARGUMENT', `random source must return ${X25519_BYTES} bytes`);
    await files.pem(k.cert, pemJoin(issued.pem, ca.certPem), false);
    await files.pem(k.ca, rootPem, false);
    await files.hex(k.centerSigningPub, centerPub, false);
    await files.hex(k.signingPub, ed25519PublicKey(secrets.signingKey), false);
    await files.hex(k.sealingPub, sealingPublicKey(secrets.sealingKey), false);
    await files.randomKey(k.machineSecret, 32, ctx.random);
    await ctx.sealKiosk(k, secrets, ctx.random);
    files.track(k.keyStore);
  } finally {
    secrets.signingKey.fill(0);
    secrets.sealingKey.fill(0);
    secrets.tlsKeyPem.fill(0);
  }
}

function checkDays(days: number, what: string): void {
  if (!Number.isInteger(days) || days < 1 || days > MAX_DAYS) throw new PkiError('INVALID_ARGUMENT', `${what} of ${days} days (1..${MAX_DAYS})`);
}

/** A new key pair and its certificate followed by the issuing CA's, both PEM. */
async function newLeaf(
  ca: Ca,
  ctx: Ctx,
  subject: { cn: string; ou: string },
  profile: 'server' | 'client',
  sans?: { dns: string[]; ip: string[] },
): Promise<{ cert: string; key: string }> {
  const kp = await newP256KeyPair();
  const issued = await issueCertificate({ ca, subject, profile, days: ctx.days, publicKey: kp.publicKey, random: ctx.random, clock: ctx.clock, ...(sans ? { sans } : {}) });
  return { cert: pemJoin(issued.pem, ca.certPem), key: await exportPkcs8Pem(kp.privateKey) };
}

function kioskPaths(k: KioskFiles): string[] {
  return [k.cert, k.ca, k.signingPub, k.sealingPub, k.centerSigningPub, k.keyStore, k.machineSecret];
}

function filesOf(l: DevPkiLayout): string[] {
  const c = l.center;
  return [
    ...[l.root.cert, l.root.key, l.root.crl, l.root.revoked],
    ...[l.ca.cert, l.ca.issuingCert, l.ca.issuingKey, l.ca.rootCrl, l.ca.revoked, l.ca.crl, l.broker.cert, l.broker.key],
    ...[c.cert, c.key, c.signingKey, c.signingPub, c.dataKey, c.auditKey, c.issuerMasterKey],
    ...Object.values(l.kiosks).flatMap(kioskPaths),
  ];
}

/** A missing CA or center file means there is no PKI here. */
async function needFile<T>(p: Promise<T>): Promise<T> {
  try {
    return await p;
  } catch (e) {
    if (e instanceof KeyFileError && e.code === 'NOT_FOUND') throw new PkiError('NOT_FOUND', `no development PKI there (${e.message})`);
    throw e;
  }
}

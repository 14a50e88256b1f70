/**
 * `cardline pki init DIR`: creates a development PKI (docs/pki.md) and prints
 * where everything went, with certificate fingerprints and public keys.
 * Never prints a private or secret key.
 */
import { X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { sealDevKiosk } from '../../kiosk/keystore/index.js';
import { PkiError } from '../../provisioning/pki/errors.js';
import { DEFAULT_LEAF_DAYS, initDevPki, type DevPkiLayout } from '../../provisioning/pki/dev-pki.js';
import { checkKioskId } from '../../provisioning/pki/layout.js';
import { MAX_DAYS } from '../../provisioning/pki/ca.js';
import { UsageError, type Command, type CommandContext, type ParsedOptions } from '../command.js';

export const pkiInitCommand: Command = {
  path: ['pki', 'init'],
  summary: 'Create a development PKI: root and issuing CA, broker, center and kiosk certificates and keys',
  usage: 'pki init DIR [--kiosks kiosk-1,kiosk-2] [--days N] [--json]',
  description: `
Writes the two tiers of the fleet CA (P-256): a root CA in DIR/root
(20 years; in production it stays offline: 'pki root init') and an issuing
CA in DIR/ca (5 years) signed by it, with their empty CRLs (ca/crl.pem:
root CRL, then the issuing CA's, 7 days); ca/ca.crt is the root, the trust
anchor. Then, issued by the issuing CA, the broker's server certificate
(localhost, 127.0.0.1, ::1), the center's client certificate and keys
(Ed25519 signing key, data key, audit key, issuer master key) and, per kiosk,
a client certificate (CN = kiosk ID), an Ed25519 signing key and an X25519
sealing key. Every tls.crt holds the leaf then the issuing CA certificate.
Secret files get mode 0600. docs/pki.md describes every file.

A kiosk's private keys (TLS, signing, sealing) are written only into its
sealed key store, kiosks/<id>/keys.sealed (scrypt N=2^14), under a machine
secret beside it, kiosks/<id>/machine-secret: run the kiosk with
--machine-secret that file. Only signing.pub and sealing.pub are plain.

These keys are for development and tests only: they are generated on this
machine, and a machine secret beside its store protects nothing (on a real
kiosk it lives in /etc/cardline/machine-secret, or the keys are in the TPM:
docs/keystore.md).

--kiosks   comma-separated kiosk IDs (default kiosk-1; '' for none)
--days     validity of the broker, center and kiosk certificates (default ${DEFAULT_LEAF_DAYS})
--json     print the summary as JSON

Exit codes: 0 created, 1 DIR already holds a PKI (or another failure), 2 usage.`,
  options: {
    kiosks: { type: 'string', arg: 'IDS', description: 'Comma-separated kiosk IDs', default: 'kiosk-1' },
    days: { type: 'string', arg: 'N', description: 'Certificate validity in days' },
    json: { type: 'boolean', description: 'Print the summary as JSON' },
  },
  positionals: ['DIR'],
  run: runPkiInit,
};

async function runPkiInit(ctx: CommandContext, opts: ParsedOptions, positionals: string[]): Promise<number> {
  const dir = positionals[0];
  if (dir === undefined || dir === '') throw new UsageError('DIR is required');
  const kiosks = parseKiosks(typeof opts.kiosks === 'string' ? opts.kiosks : 'kiosk-1');
  const days = parseDays(opts.days);
  let layout: DevPkiLayout;
  try {
    layout = await initDevPki(dir, { kiosks, ...(days !== undefined ? { days } : {}), clock: ctx.clock, logger: ctx.logger, sealKiosk: sealDevKiosk });
  } catch (e) {
    if (e instanceof PkiError && e.code === 'INVALID_ARGUMENT') throw new UsageError(e.message);
    throw e;
  }
  const summary = await summarize(layout);
  ctx.out(opts.json === true ? `${JSON.stringify(summary, null, 2)}\n` : text(summary));
  return 0;
}

function parseKiosks(list: string): string[] {
  const ids = list === '' ? [] : list.split(',').map((s) => s.trim());
  const seen = new Set<string>();
  for (const id of ids) {
    try {
      checkKioskId(id);
    } catch (e) {
      if (e instanceof PkiError) throw new UsageError(`--kiosks: ${e.message}`);
      throw e;
    }
    if (seen.has(id)) throw new UsageError(`--kiosks: '${id}' given twice`);
    seen.add(id);
  }
  return ids;
}

function parseDays(v: string | boolean | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = typeof v === 'string' && /^[0-9]{1,5}$/.test(v) ? Number(v) : NaN;
  if (!Number.isInteger(n) || n < 1 || n > MAX_DAYS) throw new UsageError(`--days must be an integer 1..${MAX_DAYS}`);
  return n;
}

interface CertSummary {
  path: string;
  subject: string;
  notAfter: string;
  sha256: string;
}

interface Summary {
  dir: string;
  /** The trust anchor ca/ca.crt (the root), and the CRL file brokers load. */
  ca: CertSummary & { crl: string };
  root: CertSummary & { key: string };
  issuing: CertSummary & { key: string };
  broker: CertSummary & { key: string };
  center: CertSummary & { key: string; signingKey: string; signingPub: string; signingPublicKey: string; dataKey: string; auditKey: string; issuerMasterKey: string };
  kiosks: (CertSummary & { id: string; keyStore: string; machineSecret: string; signingPub: string; signingPublicKey: string; sealingPub: string; sealingPublicKey: string })[];
}

async function summarize(l: DevPkiLayout): Promise<Summary> {
  const c = l.center;
  return {
    dir: l.dir,
    ca: { ...(await cert(l.ca.cert)), crl: l.ca.crl },
    root: { ...(await cert(l.root.cert)), key: l.root.key },
    issuing: { ...(await cert(l.ca.issuingCert)), key: l.ca.issuingKey },
    broker: { ...(await cert(l.broker.cert)), key: l.broker.key },
    center: {
      ...(await cert(c.cert)),
      key: c.key,
      signingKey: c.signingKey,
      signingPub: c.signingPub,
      signingPublicKey: await publicHex(c.signingPub),
      dataKey: c.dataKey,
      auditKey: c.auditKey,
      issuerMasterKey: c.issuerMasterKey,
    },
    kiosks: await Promise.all(
      Object.values(l.kiosks).map(async (k) => ({
        id: k.id,
        ...(await cert(k.cert)),
        keyStore: k.keyStore,
        machineSecret: k.machineSecret,
        signingPub: k.signingPub,
        signingPublicKey: await publicHex(k.signingPub),
        sealingPub: k.sealingPub,
        sealingPublicKey: await publicHex(k.sealingPub),
      })),
    ),
  };
}

async function cert(path: string): Promise<CertSummary> {
  const x = new X509Certificate(await readFile(path));
  return { path, subject: x.subject.split('\n').join(', '), notAfter: new Date(x.validTo).toISOString(), sha256: x.fingerprint256 };
}

/** A public key file's hex (public: safe to print). */
async function publicHex(path: string): Promise<string> {
  return (await readFile(path, 'ascii')).trim();
}

function text(s: Summary): string {
  const lines = [
    `development PKI created in ${s.dir} (not for production: keys are plain files)`,
    `root    ${s.ca.path}  SHA-256 ${s.ca.sha256}  until ${s.ca.notAfter}`,
    `        key ${s.root.key} (0600, dev only: keep a real root offline)`,
    `issuing ${s.issuing.path}  SHA-256 ${s.issuing.sha256}  until ${s.issuing.notAfter}`,
    `        key ${s.issuing.key} (0600), CRLs ${s.ca.crl}`,
    `broker  ${s.broker.path}  SHA-256 ${s.broker.sha256}  until ${s.broker.notAfter}`,
    `center  ${s.center.path}  SHA-256 ${s.center.sha256}  until ${s.center.notAfter}`,
    `        signing public key ${s.center.signingPublicKey}`,
    `        keys: ${s.center.signingKey}, ${s.center.dataKey}, ${s.center.auditKey}, ${s.center.issuerMasterKey} (0600)`,
  ];
  for (const k of s.kiosks) {
    lines.push(
      `kiosk   ${k.id}: ${k.path}  SHA-256 ${k.sha256}  until ${k.notAfter}`,
      `        signing public key ${k.signingPublicKey}, sealing public key ${k.sealingPublicKey}`,
      `        keys sealed in ${k.keyStore} under ${k.machineSecret} (0600, dev only)`,
    );
  }
  return `${lines.join('\n')}\n`;
}

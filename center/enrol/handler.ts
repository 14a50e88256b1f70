/**
 * The enrolment itself (docs/provisioning.md §2 step 4), behind the HTTP
 * server (server.ts):
 *
 * 1. cheap checks first: the proof of possession of the signing key, then
 *    the token and the kiosk ID without locks — a request that will be
 *    refused costs the CA no signature;
 * 2. the CSR certified by the issuing CA (`EnrolIssuer`, injected: center/
 *    may not import provisioning/; cli/commands/enrol-issuer.ts makes one
 *    from the PKI directory);
 * 3. ONE transaction: the token taken (locked, consumed), the kiosk added
 *    (registry.ts `addKiosk`: status active, relay mode, the site the token
 *    was bound to, fingerprint, keys, its certificate recorded current with
 *    source 'enrolment'), audited `kiosk.enrolled`. Anything that fails
 *    rolls it all back: the token stays unused, and the certificate made in
 *    step 2 never leaves this process (it is only returned after commit);
 * 4. the answer: the certificate chain, the root, the center's signing
 *    public key and the kiosk's signed reader registry;
 * 5. the commit came before the answer, which the kiosk may never get (a
 *    lost connection, a timeout) or may refuse (a clock behind): the
 *    token's row keeps the CSR's hash and the certificates (takeToken), and
 *    the same request again with the same token, within its lifetime, is
 *    answered again (`resend`, audited `kiosk.enrol-resent`). Another CSR
 *    or other keys with a used token stay `token-refused`.
 *
 * Refusals are EnrolErrors; the server audits and logs them in one place.
 */
import { X509Certificate } from 'node:crypto';
import type { Clock } from '../../common/clock.js';
import type { Logger } from '../../common/log.js';
import type { SignedRegistry } from '../../wire/registry.js';
import type { AuditLog } from '../audit/types.js';
import { isCenterError } from '../errors.js';
import { addKiosk, getKiosk, signedReaderRegistry } from '../registry.js';
import type { Db, Sql } from '../store/db.js';
import { isUniqueViolation } from '../store/query-error.js';
import { EnrolError } from './errors.js';
import { verifyEnrolProof, type EnrolRequest } from './request.js';
import { checkToken, refused, sha256, takeToken, type EnrolmentRecord } from './tokens.js';

/** What the issuing CA gives for a request (provisioning/pki/issuing.ts `certifyKioskRequest`, and its root). */
export interface IssuedCertificate {
  /** The kiosk's certificate followed by the issuing CA's (PEM). */
  pem: string;
  /** Lower-case hex. */
  serial: string;
  /** X509Certificate.fingerprint256. */
  fingerprint: string;
  notAfter: Date;
  /** The root certificate (PEM): the trust anchor the kiosk keeps as ca.crt. */
  caPem: string;
}

export interface EnrolIssuer {
  /**
   * Certifies a PKCS#10 request for CN = `kioskId` with the kiosk profile.
   * Rejects with EnrolError csr-invalid when the request is not acceptable
   * (not a P-256 request signed by its key, another CN); any other
   * rejection is an internal failure.
   */
  certify(csrPem: string, kioskId: string): Promise<IssuedCertificate>;
}

export interface EnrolDeps {
  db: Db;
  audit: AuditLog;
  clock: Clock;
  logger: Logger;
  /** The center's Ed25519 signing key (secret) and its public key: the registry is signed with it. */
  keys: { readonly signingKey: Uint8Array; readonly signingPublic: Uint8Array };
  issuer: EnrolIssuer;
}

export interface EnrolAnswer {
  v: 1;
  certificate: string;
  ca: string;
  centerSigningPublicKey: string;
  registry: SignedRegistry;
}

export interface EnrolOutcome {
  answer: EnrolAnswer;
  serial: string;
  fingerprint: string;
  site: string;
}

/** Enrols the kiosk the (schema-checked) request names. EnrolError for every refusal. */
export async function enrol(deps: EnrolDeps, req: EnrolRequest, source: string): Promise<EnrolOutcome> {
  if (!verifyEnrolProof(req)) throw new EnrolError('proof-invalid', 'the proof is not the signing key\'s signature over the enrolment string');
  const csrSha256 = sha256(Buffer.from(req.csr, 'utf8'));
  const checked = await checkToken(deps.db, req.token, req.kiosk, new Date(deps.clock.now()), csrSha256);
  if (checked.resend) return resend(deps, req, { id: checked.id, site: checked.site, record: checked.resend }, source);
  if ((await getKiosk(deps.db, req.kiosk)) !== undefined) throw kioskExists(req.kiosk);

  const cert = await deps.issuer.certify(req.csr, req.kiosk);
  const signingPublicKey = Buffer.from(req.signingPublicKey, 'hex');
  const sealingPublicKey = Buffer.from(req.sealingPublicKey, 'hex');
  const now = new Date(deps.clock.now());
  let site = '';
  try {
    await deps.db.transaction(async (tx) => {
      const token = await takeToken(tx, req.token, req.kiosk, now, { csrSha256, certificate: cert.pem, ca: cert.caPem });
      site = token.site;
      const registry = { db: inTransaction(deps.db, tx), audit: deps.audit, clock: deps.clock };
      await addKiosk(
        registry,
        { id: req.kiosk, signingPublicKey, sealingPublicKey, certFingerprint: cert.fingerprint, certNotAfter: cert.notAfter, certSerial: cert.serial, certSource: 'enrolment', site },
        (inner) => deps.audit.append(inner, { kind: 'kiosk.enrolled', kiosk: req.kiosk, detail: { token: token.id, site, serial: cert.serial, fingerprint: cert.fingerprint, notAfter: cert.notAfter.toISOString(), source } }).then(() => undefined),
      );
    });
  } catch (e) {
    // A second enrolment of the same ID that passed the first check meanwhile (another token).
    if (isCenterError(e, 'KIOSK_EXISTS') || isUniqueViolation(e)) throw kioskExists(req.kiosk);
    throw e;
  }
  const { signed } = await signedReaderRegistry(deps.db, req.kiosk, deps.keys.signingKey, deps.clock.now());
  deps.logger.info('kiosk enrolled', { kiosk: req.kiosk, site, serial: cert.serial, fingerprint: cert.fingerprint, source });
  return {
    answer: { v: 1, certificate: cert.pem, ca: cert.caPem, centerSigningPublicKey: Buffer.from(deps.keys.signingPublic).toString('hex'), registry: signed },
    serial: cert.serial,
    fingerprint: cert.fingerprint,
    site,
  };
}

/**
 * The same request again with its used token (step 5): the kiosk as that
 * enrolment left it — active, that certificate its current one, the same
 * signing and sealing keys (the proof, checked again, binds them to this
 * CSR) — gets the kept certificates again and a freshly signed registry.
 * Audited `kiosk.enrol-resent`. Anything else is the used token's refusal.
 */
async function resend(deps: EnrolDeps, req: EnrolRequest, token: { id: string; site: string; record: EnrolmentRecord }, source: string): Promise<EnrolOutcome> {
  const leaf = new X509Certificate(token.record.certificate);
  const k = await getKiosk(deps.db, req.kiosk);
  const hex = (b: Uint8Array | null): string | undefined => (b === null ? undefined : Buffer.from(b).toString('hex'));
  if (k === undefined || k.status !== 'active' || k.cert_fingerprint !== leaf.fingerprint256 || hex(k.signing_public_key) !== req.signingPublicKey || hex(k.sealing_public_key) !== req.sealingPublicKey) {
    throw refused('used');
  }
  const serial = leaf.serialNumber.toLowerCase();
  await deps.audit.record(deps.db, { kind: 'kiosk.enrol-resent', kiosk: req.kiosk, detail: { token: token.id, site: token.site, serial, fingerprint: leaf.fingerprint256, source } });
  const { signed } = await signedReaderRegistry(deps.db, req.kiosk, deps.keys.signingKey, deps.clock.now());
  deps.logger.info('kiosk enrolment answered again', { kiosk: req.kiosk, serial, fingerprint: leaf.fingerprint256, source });
  return {
    answer: { v: 1, certificate: token.record.certificate, ca: token.record.ca, centerSigningPublicKey: Buffer.from(deps.keys.signingPublic).toString('hex'), registry: signed },
    serial,
    fingerprint: leaf.fingerprint256,
    site: token.site,
  };
}

function kioskExists(kiosk: string): EnrolError {
  return new EnrolError('kiosk-exists', `kiosk ${kiosk} is already registered`);
}

/**
 * The store seen from inside an open transaction, for registry functions
 * that open their own (`addKiosk`): their work joins this transaction. Only
 * `transaction` may be used on it (a query on the Db itself would wait
 * behind the open transaction on PGlite).
 */
function inTransaction(db: Db, tx: Sql): Db {
  return {
    kind: db.kind,
    query: <T>(text: string, params?: readonly unknown[]) => tx.query<T>(text, params),
    transaction: (fn) => fn(tx),
    withLock: () => Promise.reject(new Error('no lock from inside a transaction')),
    close: () => Promise.reject(new Error('not closable from inside a transaction')),
  };
}

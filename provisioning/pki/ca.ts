/**
 * The fleet CA (DESIGN §4, docs/provisioning.md §1), two tiers of P-256
 * ECDSA: a self-signed root (pathLen 1) that signs only issuing CAs and its
 * own CRL, and an issuing CA (pathLen 0, signed by the root) that certifies
 * the broker (server profile), the center's bridge and the kiosks (client
 * profile), and signs the CRL of their certificates (DESIGN §3 step 1).
 *
 * Profiles follow RFC 5280: a CA has basicConstraints cA=TRUE with its
 * pathLenConstraint (critical, §4.2.1.9) and keyUsage keyCertSign + cRLSign
 * (critical, §4.2.1.3); the issuing CA's AKI is the root's SKI; leaves
 * have cA=FALSE, keyUsage digitalSignature (ECDHE-ECDSA needs nothing else),
 * one extKeyUsage (serverAuth or clientAuth, §4.2.1.12: OpenSSL checks it, so
 * a kiosk certificate cannot serve as the broker's and the broker's cannot
 * log in as a client), and subject/authority key identifiers (§4.2.1.1-2).
 * Serial numbers are 16 random bytes, positive (§4.1.2.2: at most 20 octets).
 */
import { X509Certificate as NodeX509Certificate, verify, webcrypto } from 'node:crypto';
import { isIP } from 'node:net';
import { systemClock, type Clock } from '../../common/clock.js';
import { PkiError } from './errors.js';
import { exportPkcs8Pem, importPkcs8Pem, newP256KeyPair, P256_ECDSA, type CryptoKey } from './tls-keys.js';
import * as x509 from './x509.js';

export type Random = (n: number) => Uint8Array;

const DAY_MS = 24 * 60 * 60 * 1000;
/**
 * Certificates start this long before their issue time: a kiosk whose clock
 * runs a little behind the issuing host (a Raspberry Pi has no RTC until NTP
 * has synced) must not see a certificate that is "not yet valid".
 */
export const BACKDATE_MS = 5 * 60 * 1000;
/** Longest validity accepted, in days (the root lives 20 years by default). */
export const MAX_DAYS = 20 * 365;
/** O= of every subject. */
export const ORGANIZATION = 'Cardline';
/** Names in subjects: what a kiosk ID allows, plus spaces inside (a CA's name); no DN metacharacters. */
const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9 ._-]{0,63}$/;

export interface Ca {
  cert: x509.X509Certificate;
  certPem: string;
  privateKey: CryptoKey;
}

export interface CreateCaOptions {
  /** CN of the CA. */
  name: string;
  days: number;
  random: Random;
  clock?: Clock;
  /** pathLenConstraint (RFC 5280 §4.2.1.9): 1 for the root of two tiers (the default), 0 for a CA that signs only leaves. */
  pathLen?: 0 | 1;
}

/** A new self-signed (root) CA. The key comes back as PKCS#8 PEM for the caller to store (mode 0600). */
export async function createCa(opts: CreateCaOptions): Promise<{ ca: Ca; keyPem: string }> {
  checkName(opts.name, 'CA name');
  const keys = await newP256KeyPair();
  const { notBefore, notAfter } = validity(opts.days, undefined, opts.clock);
  const cert = await x509.X509CertificateGenerator.createSelfSigned(
    {
      serialNumber: serialHex(opts.random),
      name: [{ O: [ORGANIZATION] }, { CN: [opts.name] }],
      notBefore,
      notAfter,
      keys,
      signingAlgorithm: P256_ECDSA,
      extensions: await caExtensions(keys.publicKey, opts.pathLen ?? 1),
    },
    webcrypto,
  );
  const ca: Ca = { cert, certPem: cert.toString('pem'), privateKey: keys.privateKey };
  return { ca, keyPem: await exportPkcs8Pem(keys.privateKey) };
}

export interface SubCaOptions {
  /** The root that signs it. */
  root: Ca;
  /** CN of the new CA. */
  name: string;
  days: number;
  random: Random;
  clock?: Clock;
}

/**
 * A new issuing CA signed by `root`: pathLen 0 (it signs leaves only), AKI =
 * the root's SKI. Its validity may not run past the root's (RFC 5280
 * §6.1.3 would accept it, but a chain that dies with the root is what the
 * operator expects to see): INVALID_ARGUMENT.
 */
export async function createSubCa(opts: SubCaOptions): Promise<{ ca: Ca; keyPem: string }> {
  checkName(opts.name, 'CA name');
  const rootSki = opts.root.cert.getExtension(x509.SubjectKeyIdentifierExtension);
  if (!rootSki) throw new PkiError('CA_INVALID', 'root certificate has no subject key identifier');
  const { notBefore, notAfter } = validity(opts.days, undefined, opts.clock);
  if (notAfter.getTime() > opts.root.cert.notAfter.getTime()) throw new PkiError('INVALID_ARGUMENT', `an issuing CA of ${opts.days} days would outlive the root (until ${opts.root.cert.notAfter.toISOString()})`);
  const keys = await newP256KeyPair();
  const cert = await x509.X509CertificateGenerator.create(
    {
      serialNumber: serialHex(opts.random),
      subject: [{ O: [ORGANIZATION] }, { CN: [opts.name] }],
      issuer: opts.root.cert.subjectName,
      notBefore,
      notAfter,
      publicKey: keys.publicKey,
      signingKey: opts.root.privateKey,
      signingAlgorithm: P256_ECDSA,
      extensions: [...(await caExtensions(keys.publicKey, 0)), new x509.AuthorityKeyIdentifierExtension(rootSki.keyId, false)],
    },
    webcrypto,
  );
  const ca: Ca = { cert, certPem: cert.toString('pem'), privateKey: keys.privateKey };
  return { ca, keyPem: await exportPkcs8Pem(keys.privateKey) };
}

async function caExtensions(publicKey: CryptoKey, pathLen: 0 | 1): Promise<x509.Extension[]> {
  return [
    new x509.BasicConstraintsExtension(true, pathLen, true),
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
    await x509.SubjectKeyIdentifierExtension.create(publicKey, false, webcrypto),
  ];
}

/** A CA from its PEM files; refuses (CA_INVALID) a certificate that is no CA or a key that is not its key. */
export async function loadCa(certPem: string, keyPem: string): Promise<Ca> {
  let cert: x509.X509Certificate;
  try {
    cert = new x509.X509Certificate(certPem);
  } catch {
    throw new PkiError('CA_INVALID', 'CA certificate is not a PEM X.509 certificate');
  }
  const bc = cert.getExtension(x509.BasicConstraintsExtension);
  if (!bc?.ca) throw new PkiError('CA_INVALID', 'certificate is not a CA (basicConstraints cA is not set)');
  const privateKey = await importPkcs8Pem(keyPem);
  // The key must be the certificate's: sign a probe and verify it with the certificate's public key.
  const probe = new TextEncoder().encode('cardline ca key check');
  const sig = new Uint8Array(await webcrypto.subtle.sign(P256_ECDSA, privateKey, probe));
  const pub = new NodeX509Certificate(certPem).publicKey;
  if (!verify('sha256', probe, { key: pub, dsaEncoding: 'ieee-p1363' }, sig)) {
    throw new PkiError('CA_INVALID', 'CA key does not match the CA certificate');
  }
  return { cert, certPem: cert.toString('pem'), privateKey };
}

/** PEM blocks one after the other, each ending in a newline (the library's PEM has none): a certificate chain, a CRL file. */
export function pemJoin(...blocks: string[]): string {
  return blocks.map((b) => (b.endsWith('\n') ? b : `${b}\n`)).join('');
}

export type Profile = 'server' | 'client';

export interface IssueOptions {
  ca: Ca;
  subject: { cn: string; ou: string };
  profile: Profile;
  /** subjectAltName (RFC 5280 §4.2.1.6): host names and IP addresses the server answers on. */
  sans?: { dns?: string[]; ip?: string[] };
  days: number;
  /** The subject's P-256 public key. */
  publicKey: CryptoKey;
  random: Random;
  clock?: Clock;
  /** Start of validity; default: the clock's now minus BACKDATE_MS. Tests set it in the past to get expired certificates. */
  notBefore?: Date;
}

/**
 * A certificate signed by `ca`, as PEM, with its serial (hex) for the registry and the CRL.
 * Its notAfter is `days` after notBefore, capped at the CA's notAfter; PkiError CA_INVALID when the CA has expired.
 */
export async function issueCertificate(opts: IssueOptions): Promise<{ cert: x509.X509Certificate; pem: string; serial: string }> {
  checkName(opts.subject.cn, 'CN');
  checkName(opts.subject.ou, 'OU');
  const { notBefore, notAfter: asked } = validity(opts.days, opts.notBefore, opts.clock);
  // A leaf never outlives its issuer (capped, not refused: a renewal near the CA's end still works, shorter).
  const caEnd = opts.ca.cert.notAfter.getTime();
  if (caEnd <= (opts.clock ?? systemClock).now()) throw new PkiError('CA_INVALID', `the issuing CA expired on ${opts.ca.cert.notAfter.toISOString()}`);
  const notAfter = new Date(Math.min(asked.getTime(), caEnd));
  const caSki = opts.ca.cert.getExtension(x509.SubjectKeyIdentifierExtension);
  if (!caSki) throw new PkiError('CA_INVALID', 'CA certificate has no subject key identifier');
  const eku = opts.profile === 'server' ? x509.ExtendedKeyUsage.serverAuth : x509.ExtendedKeyUsage.clientAuth;
  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(false, undefined, true),
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
    new x509.ExtendedKeyUsageExtension([eku], false),
    await x509.SubjectKeyIdentifierExtension.create(opts.publicKey, false, webcrypto),
    new x509.AuthorityKeyIdentifierExtension(caSki.keyId, false),
  ];
  const names = sanNames(opts.sans);
  if (names.length > 0) extensions.push(new x509.SubjectAlternativeNameExtension(names, false));
  const serial = serialHex(opts.random);
  const cert = await x509.X509CertificateGenerator.create(
    {
      serialNumber: serial,
      subject: [{ O: [ORGANIZATION] }, { OU: [opts.subject.ou] }, { CN: [opts.subject.cn] }],
      issuer: opts.ca.cert.subjectName,
      notBefore,
      notAfter,
      publicKey: opts.publicKey,
      signingKey: opts.ca.privateKey,
      signingAlgorithm: P256_ECDSA,
      extensions,
    },
    webcrypto,
  );
  return { cert, pem: cert.toString('pem'), serial };
}

export interface Revoked {
  /** Serial number, hex (as issueCertificate returns it). */
  serial: string;
  date: Date;
  /**
   * reasonCode (RFC 5280 §5.3.1). Default privilegeWithdrawn: the center
   * withdrew the kiosk's right to issue. Always written, because the library
   * otherwise emits an empty crlEntryExtensions SEQUENCE, which the
   * SIZE (1..MAX) of RFC 5280 §5.1 forbids.
   */
  reason?: RevocationReason;
}

export type RevocationReason = 'keyCompromise' | 'affiliationChanged' | 'superseded' | 'cessationOfOperation' | 'privilegeWithdrawn';

export interface CrlOptions {
  clock?: Clock;
  /** nextUpdate = now + days (RFC 5280 §5.1.2.5). OpenSSL refuses every client once it has passed (CRL_HAS_EXPIRED). Default 30. */
  days?: number;
  /** The cRLNumber (RFC 5280 §5.2.3), increasing with every CRL. Default 1. */
  number?: number;
}

/** A CRL signed by the CA, PEM. An empty list is a valid CRL: Node's tls then checks every client against it. */
export async function createCrl(ca: Ca, revoked: Revoked[], opts: CrlOptions = {}): Promise<string> {
  const now = (opts.clock ?? systemClock).now();
  const days = opts.days ?? 30;
  checkDays(days);
  const number = opts.number ?? 1;
  if (!Number.isSafeInteger(number) || number < 0) throw new PkiError('INVALID_ARGUMENT', `CRL number ${number} out of range`);
  const caSki = ca.cert.getExtension(x509.SubjectKeyIdentifierExtension);
  if (!caSki) throw new PkiError('CA_INVALID', 'CA certificate has no subject key identifier');
  const crl = await x509.X509CrlGenerator.create(
    {
      issuer: ca.cert.subjectName,
      thisUpdate: new Date(now - BACKDATE_MS),
      nextUpdate: new Date(now + days * DAY_MS),
      signingKey: ca.privateKey,
      signingAlgorithm: P256_ECDSA,
      entries: revoked.map((r) => {
        if (!/^[0-9a-fA-F]{2,40}$/.test(r.serial)) throw new PkiError('INVALID_ARGUMENT', 'revoked serial is not 1..20 bytes of hex');
        return { serialNumber: r.serial, revocationDate: r.date, reason: x509.X509CrlReason[r.reason ?? 'privilegeWithdrawn'] };
      }),
      extensions: [new x509.AuthorityKeyIdentifierExtension(caSki.keyId, false), crlNumberExtension(number)],
    },
    webcrypto,
  );
  // RFC 7468 §5 labels a CRL "X509 CRL"; the library writes "CRL", which OpenSSL (and so Node's tls) cannot read.
  return x509.PemConverter.encode(crl.rawData, 'X509 CRL');
}

/** cRLNumber (2.5.29.20): a DER INTEGER, non-critical (RFC 5280 §5.2.3). */
function crlNumberExtension(n: number): x509.Extension {
  const bytes: number[] = [];
  let v = n;
  do {
    bytes.unshift(v % 256);
    v = Math.floor(v / 256);
  } while (v > 0);
  if ((bytes[0] ?? 0) >= 0x80) bytes.unshift(0); // stays positive
  return new x509.Extension('2.5.29.20', false, Uint8Array.of(0x02, bytes.length, ...bytes));
}

/** 16 random bytes, top bit clear (a positive INTEGER) and second-highest set (no leading zero to strip: always 16 octets). */
function serialHex(random: Random): string {
  const b = random(16);
  if (!(b instanceof Uint8Array) || b.length !== 16) throw new PkiError('INVALID_ARGUMENT', 'random source must return 16 bytes');
  b[0] = (b[0]! & 0x7f) | 0x40;
  return Buffer.from(b).toString('hex');
}

function validity(days: number, start: Date | undefined, clock: Clock = systemClock): { notBefore: Date; notAfter: Date } {
  checkDays(days);
  const notBefore = start ?? new Date(clock.now() - BACKDATE_MS);
  if (Number.isNaN(notBefore.getTime())) throw new PkiError('INVALID_ARGUMENT', 'notBefore is not a date');
  return { notBefore, notAfter: new Date(notBefore.getTime() + days * DAY_MS) };
}

function checkDays(days: number): void {
  if (!Number.isInteger(days) || days < 1 || days > MAX_DAYS) throw new PkiError('INVALID_ARGUMENT', `validity of ${days} days (1..${MAX_DAYS})`);
}

function checkName(name: string, what: string): void {
  if (!NAME_PATTERN.test(name)) throw new PkiError('INVALID_ARGUMENT', `${what} must be 1..64 characters of [A-Za-z0-9 ._-], starting alphanumeric`);
}

function sanNames(sans: IssueOptions['sans']): x509.JsonGeneralName[] {
  const out: x509.JsonGeneralName[] = [];
  for (const dns of sans?.dns ?? []) {
    // RFC 1035 labels (letters, digits, hyphens), dot-separated; no wildcards in our profiles.
    if (!/^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/.test(dns)) {
      throw new PkiError('INVALID_ARGUMENT', `SAN DNS name '${dns}' is not a host name`);
    }
    out.push({ type: 'dns', value: dns });
  }
  for (const ip of sans?.ip ?? []) {
    if (isIP(ip) === 0) throw new PkiError('INVALID_ARGUMENT', `SAN IP '${ip}' is not an IP address`);
    out.push({ type: 'ip', value: ip });
  }
  return out;
}

/**
 * The checks on a renewed certificate before the kiosk keeps it
 * (docs/provisioning.md §3): the `certificate` message is signed by the
 * center, but what it carries must still be right for this kiosk, or the
 * kiosk would swap to a key and certificate the broker will not take.
 *
 * 1. PEM: one to four CERTIFICATE blocks; the first is the leaf (not a CA).
 * 2. The leaf's public key is the pending key's (SPKI DER, byte for byte,
 *    against the request the kiosk sent: RFC 2986 §4.1).
 * 3. Its subject has exactly one CN, the kiosk ID (RFC 5280 §4.1.2.6).
 * 4. It chains to the kiosk's CA (ca.crt, the root): each certificate is
 *    issued (names, key identifiers) and signed by the next in the PEM,
 *    which must be a CA, and the last one by the root (or is the root).
 * 5. Every certificate of the chain is valid now (RFC 5280 §4.1.2.5).
 */
import { X509Certificate } from 'node:crypto';
import * as x509 from '../keystore/x509.js';
import { RenewalError } from './errors.js';

export interface CheckedCertificate {
  /** The PEM as received (leaf first): what tls.next.crt holds. */
  chain: string;
  /** X509Certificate.fingerprint256 of the leaf, as the center's registry keeps it. */
  fingerprint: string;
  notAfter: Date;
}

export interface CertificateExpectations {
  kioskId: string;
  /** The SPKI (DER) of the pending key. */
  spki: Uint8Array;
  /** ca.crt of the identity (PEM): the trust anchor. */
  root: string;
  now: number;
}

const BLOCK = /-----BEGIN CERTIFICATE-----\r?\n[A-Za-z0-9+/=\r\n]+-----END CERTIFICATE-----/g;
const MAX_CHAIN = 4;

/** The SPKI (DER) of a PKCS#10 request's public key. RenewalError CERT_INVALID when it does not parse. */
export function requestSpki(csr: string): Uint8Array {
  try {
    return new Uint8Array(new x509.Pkcs10CertificateRequest(csr).publicKey.rawData);
  } catch {
    throw new RenewalError('CERT_INVALID', 'the pending certificate request does not parse');
  }
}

export function checkRenewedCertificate(chainText: string, want: CertificateExpectations): CheckedCertificate {
  const blocks = chainText.match(BLOCK) ?? [];
  if (blocks.length === 0 || blocks.length > MAX_CHAIN) throw new RenewalError('CERT_INVALID', `${blocks.length} certificates in the chain (1..${MAX_CHAIN})`);
  const certs = blocks.map((b, i) => parse(b, i === 0 ? 'the leaf' : `certificate ${i + 1} of the chain`));
  const leaf = certs[0]!;
  if (leaf.ca) throw new RenewalError('CERT_INVALID', 'the leaf is a CA certificate');
  if (!sameBytes(new Uint8Array(leaf.publicKey.export({ type: 'spki', format: 'der' })), want.spki)) {
    throw new RenewalError('CERT_WRONG_KEY', 'the certificate is not for the pending key');
  }
  const cns = leaf.subject.split('\n').filter((l) => l.startsWith('CN='));
  if (cns.length !== 1 || cns[0] !== `CN=${want.kioskId}`) throw new RenewalError('CERT_WRONG_SUBJECT', `the certificate is not for CN=${want.kioskId}`);
  const root = parse(want.root, 'ca.crt');
  checkChain(certs, root);
  for (const [i, c] of certs.entries()) checkValidity(c, want.now, i === 0 ? 'the certificate' : `CA certificate ${i + 1} of the chain`);
  return { chain: chainText, fingerprint: leaf.fingerprint256, notAfter: new Date(leaf.validTo) };
}

function parse(pem: string, what: string): X509Certificate {
  try {
    return new X509Certificate(pem);
  } catch {
    throw new RenewalError('CERT_INVALID', `${what} is not an X.509 certificate`);
  }
}

/** Each certificate issued and signed by the next; the last by the root, or the root itself. */
function checkChain(certs: X509Certificate[], root: X509Certificate): void {
  for (let i = 0; i < certs.length; i++) {
    const c = certs[i]!;
    if (i > 0 && c.fingerprint256 === root.fingerprint256) return;
    const issuer = certs[i + 1] ?? root;
    if (i + 1 < certs.length && !issuer.ca) throw new RenewalError('CERT_UNTRUSTED', `certificate ${i + 2} of the chain is not a CA`);
    if (!c.checkIssued(issuer) || !c.verify(issuer.publicKey)) {
      throw new RenewalError('CERT_UNTRUSTED', i + 1 < certs.length ? `certificate ${i + 1} of the chain is not signed by the next one` : "the chain does not lead to the kiosk's CA (ca.crt)");
    }
  }
}

function checkValidity(c: X509Certificate, now: number, what: string): void {
  if (now < Date.parse(c.validFrom)) throw new RenewalError('CERT_NOT_YET_VALID', `${what} is valid from ${new Date(c.validFrom).toISOString()} only`);
  if (now > Date.parse(c.validTo)) throw new RenewalError('CERT_EXPIRED', `${what} expired at ${new Date(c.validTo).toISOString()}`);
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

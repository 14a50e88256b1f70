/**
 * The one check of a kiosk's certificate chain, for the enrolment answer
 * (kiosk/enrol/answer.ts, against --ca) and for a renewed certificate
 * (kiosk/renewal/cert-check.ts, against ca.crt): what the kiosk is about to
 * keep as tls.crt must be right for this kiosk, or it would hold a key and
 * certificate the broker will not take.
 *
 * 1. PEM: one to four CERTIFICATE blocks, each an X.509 certificate; the
 *    first is the leaf, and not a CA (RFC 5280 §4.2.1.9).
 * 2. The leaf's public key is the expected one (SPKI DER, byte for byte,
 *    against the request the kiosk sent: RFC 2986 §4.1).
 * 3. Its subject has exactly one CN, the kiosk ID (RFC 5280 §4.1.2.6).
 * 4. It chains to the trust anchor: each certificate is issued (names, key
 *    identifiers) and signed by the next in the PEM, which must be a CA, and
 *    the last one by the anchor (or is the anchor).
 * 5. Every certificate of the chain is valid now, the issuing CA as much as
 *    the leaf (RFC 5280 §4.1.2.5: notBefore and notAfter inclusive).
 *
 * A failure is a CertChainError whose code each caller maps at its
 * boundary (renew-failed codes; ANSWER_INVALID).
 */
import { X509Certificate } from 'node:crypto';

export type CertChainCode =
  /** The text does not hold 1..4 certificates, one does not parse, or the leaf is a CA. */
  | 'CERT_INVALID'
  /** The leaf is not for the expected key. */
  | 'CERT_WRONG_KEY'
  /** The leaf's subject is not CN = the kiosk ID. */
  | 'CERT_WRONG_SUBJECT'
  /** The chain does not lead to the trust anchor. */
  | 'CERT_UNTRUSTED'
  /** A certificate of the chain has expired. */
  | 'CERT_EXPIRED'
  /** A certificate of the chain is not valid yet. */
  | 'CERT_NOT_YET_VALID';

export class CertChainError extends Error {
  override readonly name = 'CertChainError';
  constructor(
    readonly code: CertChainCode,
    /** What did not hold (never a key or a certificate). */
    readonly detail: string,
  ) {
    super(`${code}: ${detail}`);
  }
}

export interface ChainExpectations {
  kioskId: string;
  /** The SPKI (DER) the leaf must carry. */
  spki: Uint8Array;
  /** How the expected key is named in an error ("the pending key"): a label, never key material. */
  expectedLabel: string;
  /** The trust anchor (PEM). */
  anchor: string;
  /** The anchor's name in messages ("the kiosk's CA (ca.crt)", "the --ca"). */
  anchorName: string;
  now: number;
}

export interface CheckedChain {
  /** The PEM as received (leaf first). */
  chain: string;
  leaf: X509Certificate;
  /** X509Certificate.fingerprint256 of the leaf. */
  fingerprint: string;
  notAfter: Date;
}

const BLOCK = /-----BEGIN CERTIFICATE-----\r?\n[A-Za-z0-9+/=\r\n]+-----END CERTIFICATE-----/g;
export const MAX_CHAIN = 4;

export function checkKioskChain(chainText: string, want: ChainExpectations): CheckedChain {
  const blocks = chainText.match(BLOCK) ?? [];
  if (blocks.length === 0 || blocks.length > MAX_CHAIN) throw new CertChainError('CERT_INVALID', `${blocks.length} certificates in the chain (1..${MAX_CHAIN})`);
  const certs = blocks.map((b, i) => parse(b, i === 0 ? 'the leaf' : `certificate ${i + 1} of the chain`));
  const leaf = certs[0]!;
  if (leaf.ca) throw new CertChainError('CERT_INVALID', 'the leaf is a CA certificate');
  if (!sameBytes(new Uint8Array(leaf.publicKey.export({ type: 'spki', format: 'der' })), want.spki)) {
    throw new CertChainError('CERT_WRONG_KEY', `the certificate is not for ${want.expectedLabel}`);
  }
  const cns = leaf.subject.split('\n').filter((l) => l.startsWith('CN='));
  if (cns.length !== 1 || cns[0] !== `CN=${want.kioskId}`) throw new CertChainError('CERT_WRONG_SUBJECT', `the certificate is not for CN=${want.kioskId}`);
  const anchor = parse(want.anchor, want.anchorName);
  checkIssuers(certs, anchor, want.anchorName);
  for (const [i, c] of certs.entries()) checkValidity(c, want.now, i === 0 ? 'the certificate' : `CA certificate ${i + 1} of the chain`);
  return { chain: chainText, leaf, fingerprint: leaf.fingerprint256, notAfter: new Date(leaf.validTo) };
}

function parse(pem: string, what: string): X509Certificate {
  try {
    return new X509Certificate(pem);
  } catch {
    throw new CertChainError('CERT_INVALID', `${what} is not an X.509 certificate`);
  }
}

/** Each certificate issued and signed by the next (a CA); the last by the anchor, or the anchor itself. */
function checkIssuers(certs: X509Certificate[], anchor: X509Certificate, anchorName: string): void {
  for (let i = 0; i < certs.length; i++) {
    const c = certs[i]!;
    if (i > 0 && c.fingerprint256 === anchor.fingerprint256) return;
    const issuer = certs[i + 1] ?? anchor;
    if (i + 1 < certs.length && !issuer.ca) throw new CertChainError('CERT_UNTRUSTED', `certificate ${i + 2} of the chain is not a CA`);
    if (!c.checkIssued(issuer) || !c.verify(issuer.publicKey)) {
      throw new CertChainError('CERT_UNTRUSTED', i + 1 < certs.length ? `certificate ${i + 1} of the chain is not signed by the next one` : `the chain does not lead to ${anchorName}`);
    }
  }
}

function checkValidity(c: X509Certificate, now: number, what: string): void {
  if (now < Date.parse(c.validFrom)) throw new CertChainError('CERT_NOT_YET_VALID', `${what} is valid from ${new Date(c.validFrom).toISOString()} only`);
  if (now > Date.parse(c.validTo)) throw new CertChainError('CERT_EXPIRED', `${what} expired at ${new Date(c.validTo).toISOString()}`);
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

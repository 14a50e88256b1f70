/**
 * The online issuing CA (docs/provisioning.md §1): what the center uses to
 * certify kiosks' requests at enrolment and renewal, and to revoke.
 *
 * CONTRACT (issue 7): the signatures below are used by center/ and cli/.
 * The issuing CA is `ca/issuing.crt` + `ca/issuing.key`, signed by the root
 * whose certificate is the trust anchor `ca/ca.crt` (ca-files.ts checks
 * that). Revocation and CRL publication: issuing-crl.ts, re-exported here.
 */
import { webcrypto, X509Certificate } from 'node:crypto';
import { systemClock, type Clock } from '../../common/clock.js';
import { issueCertificate, pemJoin, type Ca, type Random } from './ca.js';
import { loadIssuing } from './ca-files.js';
import { PkiError } from './errors.js';
import { checkKioskId } from './layout.js';
import { P256_ECDSA, type CryptoKey } from './tls-keys.js';
import * as x509 from './x509.js';

export interface IssuingCa {
  readonly ca: Ca;
  /** PEM of the issuing CA's certificate, appended to every leaf it issues (the peer builds the chain to the root). */
  readonly chainPem: string;
  /** The trust anchor (ca/ca.crt), PEM. */
  readonly rootPem: string;
}

export interface CertifiedKiosk {
  /** The kiosk certificate followed by the issuing CA certificate. */
  pem: string;
  /** Lower-case hex, as the CRL lists it. */
  serial: string;
  /** Node's X509Certificate.fingerprint256 (colon-separated upper-case hex), as the registry keeps it. */
  fingerprint: string;
  notAfter: Date;
}

export interface CertifyRequestOptions {
  kioskId: string;
  days: number;
  random: Random;
  clock?: Clock;
}

export { DEFAULT_CRL_DAYS, publishCrl, revokeSerials, type PublishedCrl, type RevokedSerials } from './issuing-crl.js';

/** The issuing CA of the PKI in `pkiDir`. PkiError NOT_FOUND / CA_INVALID. */
export async function loadIssuingCa(pkiDir: string): Promise<IssuingCa> {
  const loaded = await loadIssuing(pkiDir);
  return { ca: loaded.ca, chainPem: pemJoin(loaded.ca.certPem), rootPem: pemJoin(loaded.rootPem) };
}

/**
 * Certifies a kiosk's PKCS#10 request: it must carry a valid self-signature
 * (proof of possession), a P-256 key and exactly CN = the kiosk ID; the
 * certificate gets the kiosk profile whatever else the request asked for.
 * PkiError INVALID_ARGUMENT names what is wrong (never echoes the request).
 */
export async function certifyKioskRequest(issuing: IssuingCa, csrPem: string, o: CertifyRequestOptions): Promise<CertifiedKiosk> {
  checkKioskId(o.kioskId);
  let csr: x509.Pkcs10CertificateRequest;
  try {
    csr = new x509.Pkcs10CertificateRequest(csrPem);
  } catch {
    throw new PkiError('INVALID_ARGUMENT', 'not a PEM certificate request (PKCS#10)');
  }
  if (!(await csr.verify(webcrypto))) throw new PkiError('INVALID_ARGUMENT', 'the certificate request is not signed by its own key');
  const cns = csr.subjectName.getField('CN');
  if (cns.length !== 1 || cns[0] !== o.kioskId) throw new PkiError('INVALID_ARGUMENT', `the certificate request is not for CN ${o.kioskId}`);
  let publicKey: CryptoKey;
  try {
    publicKey = await webcrypto.subtle.importKey('spki', csr.publicKey.rawData, P256_ECDSA, true, ['verify']);
  } catch {
    throw new PkiError('INVALID_ARGUMENT', 'the certificate request does not carry a P-256 key');
  }
  const issued = await issueCertificate({ ca: issuing.ca, subject: { cn: o.kioskId, ou: 'kiosk' }, profile: 'client', days: o.days, publicKey, random: o.random, clock: o.clock ?? systemClock });
  const node = new X509Certificate(issued.pem);
  return { pem: pemJoin(issued.pem, issuing.chainPem), serial: issued.serial.toLowerCase(), fingerprint: node.fingerprint256, notAfter: new Date(node.validTo) };
}

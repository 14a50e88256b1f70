/**
 * The checks on a renewed certificate before the kiosk keeps it
 * (docs/provisioning.md §3): the `certificate` message is signed by the
 * center, but what it carries must still be right for this kiosk. The
 * rules are the kiosk's one chain check (keystore/cert-chain.ts, shared
 * with the enrolment answer), against the pending key and ca.crt; its
 * codes are the `renew-failed` codes.
 */
import { CertChainError, checkKioskChain } from '../keystore/cert-chain.js';
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

/** The SPKI (DER) of a PKCS#10 request's public key. RenewalError CERT_INVALID when it does not parse. */
export function requestSpki(csr: string): Uint8Array {
  try {
    return new Uint8Array(new x509.Pkcs10CertificateRequest(csr).publicKey.rawData);
  } catch {
    throw new RenewalError('CERT_INVALID', 'the pending certificate request does not parse');
  }
}

export function checkRenewedCertificate(chainText: string, want: CertificateExpectations): CheckedCertificate {
  try {
    const c = checkKioskChain(chainText, { kioskId: want.kioskId, spki: want.spki, expectedLabel: 'the pending key', anchor: want.root, anchorName: "the kiosk's CA (ca.crt)", now: want.now });
    return { chain: c.chain, fingerprint: c.fingerprint, notAfter: c.notAfter };
  } catch (e) {
    // The chain's codes are renew-failed codes as they are.
    if (e instanceof CertChainError) throw new RenewalError(e.code, e.detail);
    throw e;
  }
}

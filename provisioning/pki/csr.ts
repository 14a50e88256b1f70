/**
 * Certifying a kiosk's certificate request (RFC 2986 PKCS#10) with the
 * issuing CA of a PKI directory: the path of a TLS key born in the kiosk's
 * TPM (DESIGN §4), whose private half never leaves it — `cardline keystore
 * seal --kind tpm --sign-with-pki DIR` writes the request, the CA answers
 * with tls.crt. The checks (self-signature, P-256, CN = kiosk ID) and the
 * kiosk profile are certifyKioskRequest's (issuing.ts).
 */
import type { Clock } from '../../common/clock.js';
import type { Random } from './ca.js';
import { certifyKioskRequest, loadIssuingCa } from './issuing.js';

export interface CertifyOptions {
  /** The kiosk ID the request must name (its CN). */
  kioskId: string;
  days: number;
  random: Random;
  clock?: Clock;
}

/**
 * The kiosk certificate for `csrPem`, signed by the issuing CA in `pkiDir`,
 * followed by the issuing CA's certificate (PEM, as tls.crt holds it).
 * Throws PkiError INVALID_ID / INVALID_ARGUMENT / CA_INVALID / NOT_FOUND.
 */
export async function certifyKioskCsr(pkiDir: string, csrPem: string, o: CertifyOptions): Promise<string> {
  const issuing = await loadIssuingCa(pkiDir);
  const certified = await certifyKioskRequest(issuing, csrPem, { kioskId: o.kioskId, days: o.days, random: o.random, ...(o.clock ? { clock: o.clock } : {}) });
  return certified.pem;
}

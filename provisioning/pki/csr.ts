/**
 * Certifying a kiosk's certificate request (RFC 2986 PKCS#10) with the
 * development CA: the path of a TLS key born in the kiosk's TPM (DESIGN §4),
 * whose private half never leaves it — `cardline keystore seal --kind tpm`
 * writes the request, the CA answers with tls.crt. The request must carry a
 * valid self-signature (proof that the requester holds the key), a P-256
 * key, and a subject whose CN is the kiosk ID; the certificate gets the
 * fleet's kiosk profile (ca.ts: O=Cardline, OU=kiosk, clientAuth), whatever
 * else the request asked for.
 */
import { webcrypto } from 'node:crypto';
import { systemClock, type Clock } from '../../common/clock.js';
import { readPemFile } from '../../common/key-files.js';
import { issueCertificate, loadCa, type Ca, type Random } from './ca.js';
import { PkiError } from './errors.js';
import { checkKioskId, devPkiLayout } from './layout.js';
import { P256_ECDSA, type CryptoKey } from './tls-keys.js';
import * as x509 from './x509.js';

export interface CertifyOptions {
  /** The kiosk ID the request must name (its CN). */
  kioskId: string;
  days: number;
  random: Random;
  clock?: Clock;
}

/** The kiosk certificate (PEM) for `csrPem`, signed by the dev CA in `pkiDir`. Throws PkiError INVALID_ARGUMENT / CA_INVALID / NOT_FOUND. */
export async function certifyKioskCsr(pkiDir: string, csrPem: string, o: CertifyOptions): Promise<string> {
  checkKioskId(o.kioskId);
  let csr: x509.Pkcs10CertificateRequest;
  try {
    csr = new x509.Pkcs10CertificateRequest(csrPem);
  } catch {
    throw new PkiError('INVALID_ARGUMENT', 'not a PEM certificate request (PKCS#10)');
  }
  if (!(await csr.verify(webcrypto))) throw new PkiError('INVALID_ARGUMENT', 'the certificate request is not signed by its own key');
  const cns = csr.subjectName.getField('CN');
  if (cns.length !== 1 || cns[0] !== o.kioskId) throw new PkiError('INVALID_ARGUMENT', `the certificate request is for CN ${cns.join(',') || '(none)'}, not ${o.kioskId}`);
  let publicKey: CryptoKey;
  try {
    // The SubjectPublicKeyInfo as it is (RFC 5280 §4.1.2.7), imported as a P-256 ECDSA key or refused.
    publicKey = await webcrypto.subtle.importKey('spki', csr.publicKey.rawData, P256_ECDSA, true, ['verify']);
  } catch {
    throw new PkiError('INVALID_ARGUMENT', 'the certificate request does not carry a P-256 key');
  }
  const layout = devPkiLayout(pkiDir, []);
  let ca: Ca;
  try {
    ca = await loadCa(await readPemFile(layout.ca.cert), await readPemFile(layout.ca.key, { secret: true }));
  } catch (e) {
    if (e instanceof PkiError) throw e;
    throw new PkiError('NOT_FOUND', `no development CA in ${pkiDir} (${(e as Error).message})`);
  }
  const issued = await issueCertificate({ ca, subject: { cn: o.kioskId, ou: 'kiosk' }, profile: 'client', days: o.days, publicKey, random: o.random, clock: o.clock ?? systemClock });
  return issued.pem;
}

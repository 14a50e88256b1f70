/**
 * The public key a kiosk's certificate request (RFC 2986 PKCS#10) carries,
 * as hex of its SubjectPublicKeyInfo DER: what makes a repeated `csr`
 * recognisable (center/fleet/csr.ts answers it with the certificate
 * already issued for that key). Only the request's public parts are read;
 * whether it is acceptable (self-signature, P-256, CN) stays the CA's
 * decision (FleetCa.certify). @peculiar/x509 needs the Reflect metadata
 * API before its first module runs, hence reflect-metadata first.
 */
import 'reflect-metadata';
import { Pkcs10CertificateRequest } from '@peculiar/x509';

/** Hex of the request's SPKI, or undefined when the text is not a PKCS#10 request. */
export function requestKeyHex(csrPem: string): string | undefined {
  try {
    return Buffer.from(new Pkcs10CertificateRequest(csrPem).publicKey.rawData).toString('hex');
  } catch {
    return undefined;
  }
}

/**
 * A TLS key made in software, for the sealed-file store (enrolment and
 * renewal, docs/provisioning.md §2–3): a P-256 key pair through WebCrypto,
 * the private key exported once as PKCS#8 PEM *bytes* (for the sealed
 * store, never a string), and a PKCS#10 request with CN = the kiosk ID,
 * signed by that key (proof of possession for the fleet CA). With the TPM
 * store the key is made in the TPM instead (tpm-tls.ts `createTpmTlsKey`).
 */
import { webcrypto } from 'node:crypto';
import { pemBytes } from '../../common/pem-bytes.js';
import { ID_PATTERN } from '../../wire/messages.js';
import { KeyStoreError } from './types.js';
import * as x509 from './x509.js';

const P256_ECDSA = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;

export interface SoftwareTlsKey {
  /** PKCS#8 PEM bytes of the private key: the caller seals them and zeroizes this buffer. */
  readonly pkcs8Pem: Uint8Array;
  /** The certificate request (public). */
  readonly csr: string;
}

/** A new P-256 key and its request for CN = `kioskId`. KeyStoreError INVALID for an ID that is not one. */
export async function newSoftwareTlsKey(kioskId: string): Promise<SoftwareTlsKey> {
  if (!ID_PATTERN.test(kioskId)) throw new KeyStoreError('INVALID', 'the kiosk ID is not an ID');
  const keys = await webcrypto.subtle.generateKey(P256_ECDSA, true, ['sign', 'verify']);
  const csr = await x509.Pkcs10CertificateRequestGenerator.create(
    { name: [{ O: ['Cardline'] }, { OU: ['kiosk'] }, { CN: [kioskId] }], keys, signingAlgorithm: P256_ECDSA },
    webcrypto,
  );
  const der = new Uint8Array(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey));
  try {
    return { pkcs8Pem: pemBytes(der, 'PRIVATE KEY'), csr: csr.toString('pem') };
  } finally {
    der.fill(0);
  }
}

/**
 * Certificates for the renewal tests, made with the fleet CA's own code
 * (provisioning/pki/ca.ts): a two-tier CA (root → issuing), and leaves for
 * a request's key with any CN, CA, validity. Not a test file itself.
 */
import { randomBytes, webcrypto } from 'node:crypto';
import { createCa, createSubCa, issueCertificate, pemJoin, type Ca } from '../../../provisioning/pki/ca.js';
import { P256_ECDSA } from '../../../provisioning/pki/tls-keys.js';
import * as x509 from '../../../kiosk/keystore/x509.js';

export const random = (n: number): Uint8Array => new Uint8Array(randomBytes(n));

export interface TwoTier {
  root: Ca;
  issuing: Ca;
}

export async function twoTier(name = 'Test'): Promise<TwoTier> {
  const { ca: root } = await createCa({ name: `${name} root`, days: 30, random, pathLen: 1 });
  const { ca: issuing } = await createSubCa({ root, name: `${name} issuing`, days: 20, random });
  return { root, issuing };
}

/** A leaf for the request's public key, signed by `ca` (PEM: the leaf, then `chain`). */
export async function leafFor(csr: string, o: { ca: Ca; cn: string; chain?: string[]; days?: number; notBefore?: Date }): Promise<string> {
  const spki = new x509.Pkcs10CertificateRequest(csr).publicKey.rawData;
  const publicKey = await webcrypto.subtle.importKey('spki', spki, { name: 'ECDSA', namedCurve: 'P-256' }, true, ['verify']);
  const issued = await issueCertificate({
    ca: o.ca,
    subject: { cn: o.cn, ou: 'kiosk' },
    profile: 'client',
    days: o.days ?? 10,
    publicKey,
    random,
    ...(o.notBefore ? { notBefore: o.notBefore } : {}),
  });
  return pemJoin(issued.pem, ...(o.chain ?? []));
}

/**
 * A certificate for the request's key made by hand, outside the fleet CA's
 * rules: a leaf that is a CA, or one that outlives its issuer (which
 * issueCertificate caps). PEM: the certificate, then `chain`.
 */
export async function rawLeafFor(csr: string, o: { ca: Ca; cn: string; chain?: string[]; notBefore: Date; notAfter: Date; isCa?: boolean }): Promise<string> {
  const spki = new x509.Pkcs10CertificateRequest(csr).publicKey.rawData;
  const publicKey = await webcrypto.subtle.importKey('spki', spki, { name: 'ECDSA', namedCurve: 'P-256' }, true, ['verify']);
  const caSki = o.ca.cert.getExtension(x509.SubjectKeyIdentifierExtension)!;
  const cert = await x509.X509CertificateGenerator.create(
    {
      serialNumber: Buffer.from(random(8)).toString('hex').replace(/^[89a-f]/, '1'),
      subject: [{ CN: [o.cn] }],
      issuer: o.ca.cert.subjectName,
      notBefore: o.notBefore,
      notAfter: o.notAfter,
      publicKey,
      signingKey: o.ca.privateKey,
      signingAlgorithm: P256_ECDSA,
      extensions: [new x509.BasicConstraintsExtension(o.isCa === true, undefined, true), new x509.AuthorityKeyIdentifierExtension(caSki.keyId, false)],
    },
    webcrypto,
  );
  return pemJoin(cert.toString('pem'), ...(o.chain ?? []));
}

/**
 * The center's enrolment answer (docs/provisioning.md §2 step 5), checked
 * before anything is written:
 *
 * - `certificate`: the kiosk's certificate first, then any intermediate
 *   (the issuing CA); the first one's subject has exactly CN = the kiosk ID,
 *   its public key is the key in the store (the CSR's), it is valid now,
 *   and each certificate is issued and signed by the next, the last by the
 *   trust anchor the installer gave (`--ca`);
 * - `ca`: that same trust anchor (the kiosk keeps the one it was given);
 * - `centerSigningPublicKey`: 32 bytes of hex;
 * - `registry`: signed by that key, for this kiosk (wire/registry.ts).
 *
 * A failed check is ANSWER_INVALID naming what did not hold.
 */
import { X509Certificate } from 'node:crypto';
import { z } from 'zod';
import type { Clock } from '../../common/clock.js';
import { verifyRegistry, type ReaderRegistry, type SignedRegistry } from '../../wire/registry.js';
import * as x509 from '../keystore/x509.js';
import { EnrolClientError } from './errors.js';

const answerSchema = z.strictObject({
  v: z.literal(1),
  certificate: z.string().max(32 * 1024),
  ca: z.string().max(16 * 1024),
  centerSigningPublicKey: z.string().regex(/^[0-9a-f]{64}$/),
  registry: z.strictObject({ r: z.string().max(32 * 1024), s: z.string().max(200) }),
});

export interface CheckedAnswer {
  /** The certificate chain as received (leaf first): tls.crt. */
  certificate: string;
  leaf: X509Certificate;
  centerSigningPublicKey: Uint8Array;
  signedRegistry: SignedRegistry;
  registry: ReaderRegistry;
}

export function checkAnswer(json: unknown, o: { kioskId: string; csr: string; caPem: string; clock: Clock }): CheckedAnswer {
  const parsed = answerSchema.safeParse(json);
  if (!parsed.success) throw invalid(`field '${parsed.error.issues[0]?.path.join('.') || '(answer)'}' is missing or malformed`);
  const a = parsed.data;
  const chain = certificates(a.certificate, 'certificate');
  const anchor = certificates(o.caPem, '--ca')[0]!;
  const returnedCa = certificates(a.ca, 'ca')[0]!;
  if (returnedCa.fingerprint256 !== anchor.fingerprint256) throw invalid('the CA it names is not the --ca given');
  const leaf = chain[0]!;
  const cns = leaf.subject.split('\n').filter((l) => l.startsWith('CN='));
  if (cns.length !== 1 || cns[0] !== `CN=${o.kioskId}`) throw invalid(`the certificate is not for CN ${o.kioskId}`);
  if (!sameKeyAsCsr(leaf, o.csr)) throw invalid("the certificate is not for this kiosk's TLS key");
  const now = o.clock.now();
  if (Date.parse(leaf.validFrom) > now || Date.parse(leaf.validTo) <= now) throw invalid('the certificate is not valid now');
  for (const [i, cert] of chain.entries()) {
    const issuer = chain[i + 1] ?? anchor;
    if (i + 1 < chain.length && !issuer.ca) throw invalid(`certificate ${i + 2} of the chain is not a CA`);
    if (!cert.checkIssued(issuer) || !cert.verify(issuer.publicKey)) throw invalid(`certificate ${i + 1} of the chain is not signed by ${i + 1 < chain.length ? `certificate ${i + 2}` : 'the --ca'}`);
  }
  const centerSigningPublicKey = new Uint8Array(Buffer.from(a.centerSigningPublicKey, 'hex'));
  let registry: ReaderRegistry;
  try {
    registry = verifyRegistry(a.registry, centerSigningPublicKey, o.kioskId);
  } catch (e) {
    throw invalid(`the reader registry does not verify (${(e as Error).message.slice(0, 120)})`);
  }
  return { certificate: a.certificate, leaf, centerSigningPublicKey, signedRegistry: a.registry, registry };
}

/** The PEM certificates of a text, in order (at least one). */
function certificates(pem: string, what: string): X509Certificate[] {
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----\r?\n[A-Za-z0-9+/=\r\n]+-----END CERTIFICATE-----/g) ?? [];
  if (blocks.length === 0 || blocks.length > 4) throw invalid(`${what}: 1..4 PEM certificates expected`);
  try {
    return blocks.map((b) => new X509Certificate(b));
  } catch {
    throw invalid(`${what}: a certificate does not parse`);
  }
}

/** The CSR's SubjectPublicKeyInfo (DER) against the certificate's. */
function sameKeyAsCsr(leaf: X509Certificate, csrPem: string): boolean {
  const spki = Buffer.from(new x509.Pkcs10CertificateRequest(csrPem).publicKey.rawData);
  return spki.equals(leaf.publicKey.export({ type: 'spki', format: 'der' }));
}

function invalid(what: string): EnrolClientError {
  return new EnrolClientError('ANSWER_INVALID', `the center's answer: ${what}`);
}

/**
 * The center's enrolment answer (docs/provisioning.md §2 step 5), checked
 * before anything is written:
 *
 * - `certificate`: the kiosk's certificate first, then any intermediate
 *   (the issuing CA), checked by the kiosk's one chain check
 *   (keystore/cert-chain.ts, the same as a renewed certificate's): the
 *   leaf not a CA, exactly CN = the kiosk ID, the key in the store (the
 *   CSR's), each certificate issued and signed by the next (a CA) and the
 *   last by the trust anchor the installer gave (`--ca`), and every one of
 *   them valid now;
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
import { CertChainError, checkKioskChain } from '../keystore/cert-chain.js';
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
  const anchor = certificates(o.caPem, '--ca')[0]!;
  const returnedCa = certificates(a.ca, 'ca')[0]!;
  if (returnedCa.fingerprint256 !== anchor.fingerprint256) throw invalid('the CA it names is not the --ca given');
  let leaf: X509Certificate;
  try {
    ({ leaf } = checkKioskChain(a.certificate, { kioskId: o.kioskId, spki: csrSpki(o.csr), expectedLabel: "this kiosk's TLS key", anchor: o.caPem, anchorName: 'the --ca', now: o.clock.now() }));
  } catch (e) {
    if (e instanceof CertChainError) throw invalid(e.detail);
    throw e;
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

/** The CSR's SubjectPublicKeyInfo (DER): the key in the store. */
function csrSpki(csrPem: string): Uint8Array {
  try {
    return new Uint8Array(new x509.Pkcs10CertificateRequest(csrPem).publicKey.rawData);
  } catch {
    throw invalid('the certificate request kept for it does not parse');
  }
}

function invalid(what: string): EnrolClientError {
  return new EnrolClientError('ANSWER_INVALID', `the center's answer: ${what}`);
}

/**
 * P-256 ECDSA key pairs for TLS (DESIGN §4: the kiosk device key, the
 * broker's and the center's keys, the fleet CA), through Node's WebCrypto.
 *
 * Development keys are generated here and written as PKCS#8 PEM. On a real
 * kiosk the device key is born in the TPM and never leaves it; the PKI then
 * certifies a public key it is given (issueCertificate takes a public key for
 * that reason).
 */
import { webcrypto } from 'node:crypto';
import { pemBytes } from '../../common/pem-bytes.js';

export type CryptoKey = webcrypto.CryptoKey;
import { PkiError } from './errors.js';

/** ECDSA over P-256 with SHA-256 (RFC 5480, RFC 5758 §3.2 ecdsa-with-SHA256). */
export const P256_ECDSA = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;

export type TlsKeyPair = webcrypto.CryptoKeyPair;

/** A new extractable P-256 key pair (extractable: dev keys are written to files). */
export async function newP256KeyPair(): Promise<TlsKeyPair> {
  return webcrypto.subtle.generateKey(P256_ECDSA, true, ['sign', 'verify']);
}

/** The private key as PKCS#8 PEM (RFC 5208 / RFC 7468 "PRIVATE KEY"), as Node's tls `key` takes it. */
export async function exportPkcs8Pem(privateKey: CryptoKey): Promise<string> {
  const der = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', privateKey));
  try {
    return pem(der, 'PRIVATE KEY');
  } finally {
    der.fill(0);
  }
}

/**
 * The private key as PKCS#8 PEM bytes, built without ever holding the key in
 * a JavaScript string (strings cannot be wiped): for the kiosk's sealed key
 * store, which takes bytes. The caller zeroizes the result.
 */
export async function exportPkcs8PemBytes(privateKey: CryptoKey): Promise<Uint8Array> {
  const der = new Uint8Array(await webcrypto.subtle.exportKey('pkcs8', privateKey));
  try {
    return pemBytes(der, 'PRIVATE KEY');
  } finally {
    der.fill(0);
  }
}

/** Imports a P-256 PKCS#8 PEM private key for signing (certificates, CRLs). Throws PkiError CA_INVALID on anything else. */
export async function importPkcs8Pem(text: string): Promise<CryptoKey> {
  const m = /-----BEGIN PRIVATE KEY-----([A-Za-z0-9+/=\s]+)-----END PRIVATE KEY-----/.exec(text);
  if (!m?.[1]) throw new PkiError('CA_INVALID', 'key is not a PKCS#8 PEM private key');
  const der = Buffer.from(m[1].replace(/\s+/g, ''), 'base64');
  try {
    return await webcrypto.subtle.importKey('pkcs8', der, P256_ECDSA, false, ['sign']);
  } catch {
    throw new PkiError('CA_INVALID', 'key is not a P-256 ECDSA private key');
  } finally {
    der.fill(0);
  }
}

function pem(der: Buffer, label: string): string {
  const b64 = der.toString('base64');
  const lines = b64.match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

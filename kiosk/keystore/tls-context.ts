/**
 * The kiosk's TLS credentials as ONE OpenSSL context, built once at start
 * and handed to mqtt.js as `secureContext` (it passes it to tls.connect on
 * every reconnect): the private key goes to OpenSSL as bytes — a Buffer
 * over the store's PEM bytes, no copy — and those bytes are zeroized right
 * after. No PEM string of a private key exists in the process.
 *
 * A `tpm2` key (TSS2 PEM) decodes only when the tpm2 OpenSSL provider was
 * loaded at process start (`node --openssl-config=kiosk/keystore/openssl-tpm2.cnf`,
 * docs/keystore.md "OpenSSL"); OpenSSL then asks the TPM for every
 * signature of the handshake.
 */
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { createSecureContext, type SecureContext } from 'node:tls';
import { KeyStoreError, type TlsKeyMaterial } from './types.js';

/** `Buffer` view over the bytes (no copy: zeroizing the source wipes it). */
function view(b: Uint8Array): Buffer {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength);
}

/**
 * Builds the context; zeroizes `material.pem` whatever the outcome. Throws
 * KeyStoreError INVALID when the key is not the certificate's, and
 * TPM_UNAVAILABLE when a TSS2 key cannot be loaded (no provider).
 */
export function buildSecureContext(material: TlsKeyMaterial, certPem: string, caPem: string): SecureContext {
  try {
    const key = view(material.pem);
    let keyObject;
    try {
      keyObject = createPrivateKey({ key, format: 'pem' });
    } catch {
      if (material.kind === 'tpm2') {
        throw new KeyStoreError(
          'TPM_UNAVAILABLE',
          'the TLS key is held by the TPM (TSS2) but this process cannot load it: start node with --openssl-config=kiosk/keystore/openssl-tpm2.cnf, OPENSSL_MODULES set and tpm2-abrmd running (docs/keystore.md)',
        );
      }
      throw new KeyStoreError('INVALID', 'the key store holds a TLS key OpenSSL cannot read');
    }
    if (!new X509Certificate(certPem).checkPrivateKey(keyObject)) {
      throw new KeyStoreError('INVALID', "the key store's TLS key is not the key of the identity's tls.crt");
    }
    return createSecureContext({ key, cert: certPem, ca: caPem });
  } finally {
    material.pem.fill(0);
  }
}

/**
 * KioskSecrets over buffers this module takes ownership of: `dispose()`
 * overwrites every one of them with zeros (types.ts). Both stores build
 * their result here, so that there is one place where secrets are wiped.
 */
import type { KioskSecrets, TlsKeyMaterial } from './types.js';

/** Takes ownership of the three buffers (no copies are made): the caller must not keep them. */
export function ownedSecrets(signingKey: Uint8Array, sealingKey: Uint8Array, tls: TlsKeyMaterial): KioskSecrets {
  return {
    signingKey,
    sealingKey,
    tls,
    dispose() {
      signingKey.fill(0);
      sealingKey.fill(0);
      tls.pem.fill(0);
    },
  };
}


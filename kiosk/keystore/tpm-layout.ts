/**
 * The TPM store's directory (docs/keystore.md "TPM"). Nothing in it is
 * useful without the kiosk's TPM: the sealed object and the TLS key are
 * wrapped by the TPM's storage primary key, which is recreated from the
 * owner hierarchy's seed at every use and never leaves the chip.
 *
 *   seal.pub, seal.priv   the sealed data object (TPM2B_PUBLIC, TPM2B_PRIVATE): the signing and sealing keys
 *   pcrs                  the PCR selection the object was sealed to (text), checked against the config
 *   tls.tss2.pem          the TLS key, created in the TPM by the tpm2 OpenSSL provider ("TSS2 PRIVATE KEY")
 *   tls.csr               its certificate request (PEM), for the fleet CA
 *   tls.next.tss2.pem     during a renewal only: the pending TLS key, until its certificate is swapped in
 *                         (kiosk/keystore/pending-tpm.ts, docs/provisioning.md §3)
 */
import { join } from 'node:path';

export interface TpmStoreFiles {
  dir: string;
  pub: string;
  priv: string;
  pcrs: string;
  tlsKey: string;
  csr: string;
  /** The pending TLS key of a renewal. */
  nextTlsKey: string;
}

export function tpmStoreFiles(dir: string): TpmStoreFiles {
  return { dir, pub: join(dir, 'seal.pub'), priv: join(dir, 'seal.priv'), pcrs: join(dir, 'pcrs'), tlsKey: join(dir, 'tls.tss2.pem'), csr: join(dir, 'tls.csr'), nextTlsKey: join(dir, 'tls.next.tss2.pem') };
}

/**
 * The storage primary key's template: ECC P-256 with AES-128-CFB, the
 * tools' default restricted-decrypt attributes. The same template and the
 * same owner seed give the same key (TCG TPM 2.0 Part 1 §26.3 "Primary
 * Keys": derived, not stored), so it is created again for every unseal and
 * never made persistent.
 */
export const PRIMARY_ARGS = ['-C', 'o', '-g', 'sha256', '-G', 'ecc256:aes128cfb'] as const;

/**
 * The sealed object's attributes: bound to this TPM and this parent
 * (fixedtpm, fixedparent: it cannot be duplicated elsewhere), no password
 * (no userwithauth: only the PCR policy opens it), the policy for the admin
 * role too (adminwithpolicy), and noda — it has no password to guess, so
 * the dictionary-attack lockout has nothing to protect (Part 1 §19.7.2).
 */
export const SEAL_ATTRIBUTES = 'fixedtpm|fixedparent|adminwithpolicy|noda';

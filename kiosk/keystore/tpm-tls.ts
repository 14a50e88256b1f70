/**
 * The kiosk's TLS key, born in the TPM (DESIGN §4 "kiosk device key (P-256):
 * TPM"): `openssl genpkey` with the tpm2 OpenSSL provider creates a P-256
 * key under the owner hierarchy's storage key and writes it as a "TSS2
 * PRIVATE KEY" PEM — the key wrapped by that TPM, useless anywhere else.
 * `openssl req` then signs a certificate request with it (the signature is
 * made inside the TPM) for the fleet CA.
 *
 * The provider finds the TPM through TPM2OPENSSL_TCTI. It works on a bare
 * swtpm and behind tpm2-abrmd; the kiosk process that later uses the key
 * needs abrmd (or /dev/tpmrm0) because its provider keeps the key loaded
 * while tpm2-tools run beside it (DESIGN §8).
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ID_PATTERN } from '../../wire/messages.js';
import type { Exec } from './exec.js';
import { KeyStoreError } from './types.js';

export interface TpmTlsOptions {
  exec: Exec;
  tcti: string;
  env: NodeJS.ProcessEnv;
  /** The CN of the request (the kiosk ID). */
  kioskId: string;
  /** A private scratch directory (the caller removes it). */
  work: string;
}

/** `openssl … -provider tpm2 -provider default`: the TPM's key operations, the default provider for the rest. */
const PROVIDERS = ['-provider', 'tpm2', '-provider', 'default'] as const;

/** Creates the key in the TPM; resolves with the TSS2 PEM bytes (the caller writes them) and the CSR (PEM text, public). */
export async function createTpmTlsKey(o: TpmTlsOptions): Promise<{ tss2: Uint8Array; csr: string }> {
  if (!ID_PATTERN.test(o.kioskId)) throw new KeyStoreError('INVALID', 'the kiosk ID is not an ID');
  const env = { ...o.env, TPM2OPENSSL_TCTI: o.tcti };
  const keyFile = join(o.work, 'tls.tss2.pem');
  await run(o.exec, ['genpkey', ...PROVIDERS, '-algorithm', 'EC', '-pkeyopt', 'group:P-256', '-out', keyFile], env, 'create the TLS key in the TPM');
  // A config of its own: the subject as the fleet CA's profile has it (provisioning/pki/ca.ts), nothing from the system's openssl.cnf.
  const config = join(o.work, 'req.cnf');
  await writeFile(config, `[req]\ndistinguished_name = dn\nprompt = no\n[dn]\nO = Cardline\nOU = kiosk\nCN = ${o.kioskId}\n`, { mode: 0o600 });
  const csr = await run(o.exec, ['req', '-new', ...PROVIDERS, '-config', config, '-key', keyFile, '-sha256'], env, 'make the certificate request');
  const text = Buffer.from(csr).toString('ascii');
  if (!text.startsWith('-----BEGIN CERTIFICATE REQUEST-----')) throw new KeyStoreError('TOOL_FAILED', 'openssl req wrote no certificate request');
  return { tss2: new Uint8Array(await readFile(keyFile)), csr: text };
}

async function run(exec: Exec, args: string[], env: NodeJS.ProcessEnv, doing: string): Promise<Uint8Array> {
  const r = await exec('openssl', args, { env });
  if (r.code === 0) return r.stdout;
  const err = Buffer.from(r.stderr).toString('utf8');
  if (r.code === 127) throw new KeyStoreError('TPM_UNAVAILABLE', 'openssl is not installed (Debian package openssl)');
  if (/provider.*tpm2|tpm2.*provider|unable to load provider/i.test(err)) {
    throw new KeyStoreError('TPM_UNAVAILABLE', `cannot ${doing}: the tpm2 OpenSSL provider did not load (Debian package tpm2-openssl) or found no TPM at ${env.TPM2OPENSSL_TCTI ?? 'the default TCTI'}`);
  }
  const line = err.split('\n').find((l) => /error/i.test(l)) ?? `exit code ${r.code}`;
  throw new KeyStoreError('TOOL_FAILED', `cannot ${doing}: openssl: ${line.slice(0, 200)}`);
}

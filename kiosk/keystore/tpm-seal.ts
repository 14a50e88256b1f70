/**
 * Sealing into the TPM (docs/keystore.md "TPM", `cardline keystore seal
 * --kind tpm`), on the kiosk itself, in the boot state it will run in:
 *
 * 1. the storage primary key, recreated from the owner seed (tpm-layout.ts);
 * 2. a PolicyPCR digest over the current values of the selected PCRs
 *    (trial session: TCG TPM 2.0 Part 1 §19.7.8; tpm2_createpolicy);
 * 3. a sealed data object under the primary holding the signing and
 *    sealing keys (≤ 128 bytes: Part 2 §10.4.5 MAX_SYM_DATA), its data
 *    passed on stdin — never argv or a file (tpm2_create -i -);
 * 4. the TLS key created in the TPM, and its certificate request (tpm-tls.ts).
 *
 * Every file is written atomically, mode 0600, and only once the TPM has
 * done all of it: a failure leaves the directory as it was.
 */
import { access, mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../../common/log.js';
import type { Exec } from './exec.js';
import { encodeSecretBundle } from './secret-bundle.js';
import { writeStoreFile } from './store-files.js';
import { failed, withWorkDir } from './tpm.js';
import { PRIMARY_ARGS, SEAL_ATTRIBUTES, tpmStoreFiles } from './tpm-layout.js';
import { createTpmTlsKey } from './tpm-tls.js';
import { checkPcrSelection, checkTcti } from './tpm-params.js';
import { Tpm2Tools } from './tpm2-tools.js';
import { KeyStoreError } from './types.js';

export interface SealIntoTpmOptions {
  dir: string;
  tcti: string;
  pcrs: string;
  /** The CN of the TLS key's certificate request. */
  kioskId: string;
  exec: Exec;
  env: NodeJS.ProcessEnv;
  logger: Logger;
  /** Replace an existing store (re-sealing after an intended boot change); default: refuse (EXISTS). */
  overwrite?: boolean;
  workDir?: string;
}

export interface SealedIntoTpm {
  /** The TLS key's certificate request (PEM): for the fleet CA, which returns tls.crt. */
  csr: string;
  files: ReturnType<typeof tpmStoreFiles>;
}

/** Seals the two keys (the caller's to zeroize) and creates the TLS key in the TPM. */
export async function sealIntoTpm(secrets: { signingKey: Uint8Array; sealingKey: Uint8Array }, o: SealIntoTpmOptions): Promise<SealedIntoTpm> {
  const bad = checkTcti(o.tcti) ?? checkPcrSelection(o.pcrs);
  if (bad) throw new KeyStoreError('INVALID', bad);
  const files = tpmStoreFiles(o.dir);
  await mkdir(o.dir, { recursive: true, mode: 0o700 });
  if (o.overwrite !== true) {
    for (const path of [files.pub, files.priv, files.tlsKey, files.pcrs]) {
      if (await access(path).then(() => true, () => false)) throw new KeyStoreError('EXISTS', `${path} already exists: the directory holds a TPM store (re-seal with overwrite)`);
    }
  }
  const bundle = encodeSecretBundle({ signingKey: secrets.signingKey, sealingKey: secrets.sealingKey });
  try {
    return await withWorkDir(o.workDir, async (work) => {
      const tools = new Tpm2Tools(o);
      const primary = join(work, 'primary.ctx');
      const policy = join(work, 'policy.digest');
      const [pub, priv] = [join(work, 'seal.pub'), join(work, 'seal.priv')];
      await tools.step('tpm2_createprimary', [...PRIMARY_ARGS, '-c', primary]).catch((e: unknown) => failed(e, 'create the storage primary key'));
      (await tools.step('tpm2_createpolicy', ['--policy-pcr', '-l', o.pcrs, '-L', policy]).catch((e: unknown) => failed(e, `compute the PCR policy of ${o.pcrs}`))).fill(0);
      await tools.step('tpm2_create', ['-C', primary, '-L', policy, '-a', SEAL_ATTRIBUTES, '-i', '-', '-u', pub, '-r', priv], bundle).catch((e: unknown) => failed(e, 'seal the keys'));
      const tls = await createTpmTlsKey({ exec: o.exec, tcti: o.tcti, env: o.env, kioskId: o.kioskId, work });
      await tools.flush();
      const overwrite = o.overwrite === true;
      await writeStoreFile(files.pub, await readFile(pub), { overwrite, what: 'the sealed object (public part)' });
      await writeStoreFile(files.priv, await readFile(priv), { overwrite, what: 'the sealed object (private part)' });
      await writeStoreFile(files.tlsKey, tls.tss2, { overwrite, what: 'the TPM-held TLS key' });
      await writeStoreFile(files.csr, Buffer.from(tls.csr, 'ascii'), { overwrite: true, what: 'the certificate request' });
      await writeStoreFile(files.pcrs, Buffer.from(`${o.pcrs}\n`, 'ascii'), { overwrite, what: 'the PCR selection' });
      o.logger.info('keys sealed into the TPM', { dir: o.dir, pcrs: o.pcrs });
      return { csr: tls.csr, files };
    });
  } finally {
    bundle.fill(0);
  }
}

/**
 * What `cardline keystore seal` seals: the kiosk's signing and sealing keys
 * (and, for a sealed file, its TLS key), taken from an existing sealed file
 * (moving a kiosk to the TPM, rotating its machine secret), from key files,
 * or generated here. Secrets are read as bytes (hex through
 * common/key-files.ts, PEM as raw bytes) and never become strings; the
 * caller zeroizes them with `wipe()`.
 */
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { readKeyFile } from '../../common/key-files.js';
import { SealedFileStore, type TlsKeyMaterial } from '../../kiosk/keystore/index.js';
import { readStoreFile } from '../../kiosk/keystore/store-files.js';
import { KeyStoreError } from '../../kiosk/keystore/types.js';
import { UsageError, type ParsedOptions } from '../command.js';

export interface Material {
  signingKey: Uint8Array;
  sealingKey: Uint8Array;
  tls?: TlsKeyMaterial;
  /** Where each came from, for the summary: 'store', 'file' or 'generated'. */
  source: { signing: string; sealing: string; tls: string };
  wipe(): void;
}

const str = (opts: ParsedOptions, name: string): string | undefined => (typeof opts[name] === 'string' ? opts[name] : undefined);

export async function gatherMaterial(opts: ParsedOptions, random: (n: number) => Uint8Array): Promise<Material> {
  const fromStore = str(opts, 'from-key-file');
  if (fromStore !== undefined) {
    for (const f of ['signing-key', 'sealing-key', 'tls-key']) if (str(opts, f) !== undefined) throw new UsageError(`--${f} and --from-key-file exclude each other`);
    const secret = str(opts, 'from-machine-secret');
    if (secret === undefined) throw new UsageError('--from-key-file needs --from-machine-secret');
    const s = await new SealedFileStore({ file: fromStore, machineSecretFile: secret }).unseal();
    return { signingKey: s.signingKey, sealingKey: s.sealingKey, tls: s.tls, source: { signing: 'store', sealing: 'store', tls: 'store' }, wipe: () => s.dispose() };
  }
  if (str(opts, 'from-machine-secret') !== undefined) throw new UsageError('--from-machine-secret goes with --from-key-file');
  const parts: Uint8Array[] = [];
  const wipe = (): void => parts.forEach((p) => p.fill(0));
  try {
    const key = async (flag: string): Promise<[Uint8Array, string]> => {
      const file = str(opts, flag);
      const k = file !== undefined ? await readKeyFile(file, 32, { secret: true }) : random(32);
      parts.push(k);
      return [k, file !== undefined ? 'file' : 'generated'];
    };
    const [signingKey, signing] = await key('signing-key');
    const [sealingKey, sealing] = await key('sealing-key');
    const tlsFile = str(opts, 'tls-key');
    let tls: TlsKeyMaterial | undefined;
    if (tlsFile !== undefined) {
      const pem = new Uint8Array(await readStoreFile(tlsFile, { secret: true, min: 32, max: 16 * 1024, what: 'the TLS key' }));
      parts.push(pem);
      tls = { kind: 'pem', pem };
    }
    return { signingKey, sealingKey, ...(tls ? { tls } : {}), source: { signing, sealing, tls: tls ? 'file' : 'none' }, wipe };
  } catch (e) {
    wipe();
    throw e;
  }
}

/** The TLS key must be the key of the identity's certificate, when there is one (the kiosk would refuse to start otherwise). */
export async function checkTlsMatches(tls: TlsKeyMaterial, certFile: string): Promise<boolean | undefined> {
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(await readFile(certFile));
  } catch {
    return undefined;
  }
  let key;
  try {
    key = createPrivateKey({ key: Buffer.from(tls.pem.buffer, tls.pem.byteOffset, tls.pem.byteLength), format: 'pem' });
  } catch {
    if (tls.kind === 'tpm2') return undefined; // loads only with the tpm2 provider (docs/keystore.md "OpenSSL")
    throw new KeyStoreError('INVALID', 'the TLS key is not a private key OpenSSL can read (PKCS#8 PEM expected)');
  }
  return cert.checkPrivateKey(key);
}

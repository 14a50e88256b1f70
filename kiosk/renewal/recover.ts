/**
 * A renewal cut short by a crash or a power cut, sorted out at start,
 * before the store is unsealed (docs/provisioning.md §3). The swap renames
 * the key first, then the certificate, so these are the states a crash can
 * leave:
 *
 * | pending key | tls.next.crt | what is done |
 * |---|---|---|
 * | yes | yes | the key is the certificate's: the swap is finished; else both are removed |
 * | yes | no  | the key is tls.crt's (a crash after the certificate's rename): promoted; else removed — the center asks again |
 * | no  | yes | the current key is its (a crash between the renames): renamed over tls.crt; else removed |
 *
 * Whether a key is a certificate's is asked of OpenSSL (checkPrivateKey);
 * a TPM-held key that this process cannot load leaves everything as it is
 * (the start then fails on the store itself, saying why). Each outcome is
 * logged.
 */
import { join } from 'node:path';
import { readPemFile } from '../../common/key-files.js';
import type { Logger } from '../../common/log.js';
import { IDENTITY_FILES } from '../identity.js';
import { fileExists, keyMatchesCertificate, removeIfPresent, renameDurably, type PendingKeys } from '../keystore/index.js';
import type { TlsKeyMaterial } from '../keystore/index.js';

export type Recovery = 'nothing' | 'finished' | 'discarded';

export async function recoverRenewal(identityDir: string, pending: PendingKeys, logger: Logger): Promise<Recovery> {
  const log = logger.child('renewal');
  const cert = join(identityDir, IDENTITY_FILES.cert);
  const next = join(identityDir, IDENTITY_FILES.nextCert);
  const hasKey = await pending.exists();
  const hasNext = await fileExists(next);
  if (!hasKey && !hasNext) return 'nothing';
  const matches = async (material: () => Promise<TlsKeyMaterial>, path: string): Promise<boolean> => keyMatchesCertificate(await material(), await readPemFile(path));

  if (hasKey && hasNext) {
    if (await matches(() => pending.pendingTls(), next)) {
      await pending.promote();
      await renameDurably(next, cert);
      log.warn('renewal finished at start: the pending key and its certificate were swapped in', { store: pending.describe() });
      return 'finished';
    }
    await pending.discard();
    await removeIfPresent(next);
    log.warn('renewal discarded at start: the pending key is not the key of tls.next.crt; both removed', { store: pending.describe() });
    return 'discarded';
  }
  if (hasKey) {
    if (await matches(() => pending.pendingTls(), cert)) {
      await pending.promote();
      log.warn('renewal finished at start: tls.crt was already the pending key\'s, the key is swapped in', { store: pending.describe() });
      return 'finished';
    }
    await pending.discard();
    log.warn('renewal discarded at start: a pending key without its certificate was removed (the center asks again)', { store: pending.describe() });
    return 'discarded';
  }
  if (await matches(() => pending.currentTls(), next)) {
    await renameDurably(next, cert);
    log.warn('renewal finished at start: the key was swapped in before the crash, tls.next.crt is renamed over tls.crt');
    return 'finished';
  }
  await removeIfPresent(next);
  log.warn('renewal discarded at start: tls.next.crt is not for the current key; removed');
  return 'discarded';
}

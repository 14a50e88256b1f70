/**
 * Reader authentication at the kiosk (DESIGN §3 step 2, §1 "reader/writer
 * authentication means (215, 216)"): the station's reader must be in the
 * center-signed registry with the same kind, and must sign a fresh random
 * challenge with the key the registry holds for it. A refused reader is
 * never used.
 *
 * Reasons (wire/messages.ts `reader-report`): 'no-registry' (none, or it did
 * not verify), 'unknown-reader', 'kind-mismatch', 'bad-signature', 'io' (the
 * reader could not sign), and 'no-key': the registry lists the reader
 * without a key. Identification by SAM serial/ATR does not exist yet, so
 * such a reader cannot prove who it is and is refused.
 */
import type { Logger } from '../common/log.js';
import type { ReaderIdentity } from '../hardware/station.js';
import { readerChallengeMessage, verifyReaderSignature } from '../wire/reader-auth.js';
import type { ReaderRegistry } from '../wire/registry.js';

export type ReaderRefusal = 'no-registry' | 'unknown-reader' | 'kind-mismatch' | 'bad-signature' | 'no-key' | 'io';

export type ReaderAuthResult = { status: 'authenticated' } | { status: 'refused'; reason: ReaderRefusal };

/** 32 bytes: within wire/reader-auth.ts's 16..64, and a full security level of 128 bits against guessing. */
export const READER_CHALLENGE_BYTES = 32;

export async function authenticateReader(
  reader: ReaderIdentity,
  registry: ReaderRegistry | undefined,
  kioskId: string,
  deps: { random: (n: number) => Uint8Array; logger: Logger },
): Promise<ReaderAuthResult> {
  const refuse = (reason: ReaderRefusal): ReaderAuthResult => {
    deps.logger.warn('reader refused', { reader: reader.id, reason });
    return { status: 'refused', reason };
  };
  if (registry === undefined) return refuse('no-registry');
  const entry = registry.readers.find((r) => r.id === reader.id);
  if (entry === undefined) return refuse('unknown-reader');
  if (entry.kind !== reader.kind) return refuse('kind-mismatch');
  if (entry.publicKey === null) return refuse('no-key');
  const challenge = deps.random(READER_CHALLENGE_BYTES);
  let signature: Uint8Array | undefined;
  try {
    signature = await reader.sign(readerChallengeMessage(reader.id, kioskId, challenge));
  } catch (e) {
    deps.logger.warn('reader could not sign', { reader: reader.id, err: e });
    return refuse('io');
  }
  const verdict = verifyReaderSignature(entry, kioskId, challenge, signature);
  challenge.fill(0);
  if (verdict !== 'ok') return refuse(verdict);
  deps.logger.info('reader authenticated', { reader: reader.id, registryVersion: registry.version });
  return { status: 'authenticated' };
}

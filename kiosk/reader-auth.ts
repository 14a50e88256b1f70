/**
 * Reader authentication at the kiosk (DESIGN §3 step 2, §1 "reader/writer
 * authentication means (215, 216)"; docs/reader-auth.md). Every device the
 * kiosk uses — the station's reader, a keypad — must be in the
 * center-signed registry under its ID, with the same kind and the same
 * descriptor (vendor, product, serial, exactly). Then:
 *
 * - an entry with a public key requires challenge-response: the device must
 *   say it can sign and must sign a fresh random challenge with that key.
 *   A keyed entry is never satisfied by the descriptor alone (no downgrade:
 *   a clone that copies the descriptor but not the key is refused);
 * - an entry without a key is satisfied by the descriptor match (identity
 *   match): it proves only that the device reports those strings.
 *
 * Reasons (wire/messages.ts `readerRefusalSchema`): 'no-registry',
 * 'unknown-reader', 'kind-mismatch', 'identity-mismatch', 'cannot-sign',
 * 'bad-signature', 'io'. A refused device is never used. Logs name the
 * device ID, kind and reason; never a challenge, signature or key.
 */
import type { Logger } from '../common/log.js';
import type { ReaderIdentity } from '../hardware/station.js';
import type { ReaderRefusalReason } from '../wire/messages.js';
import { descriptorMatches, readerChallengeMessage, verifyReaderSignature } from '../wire/reader-auth.js';
import type { ReaderRegistry } from '../wire/registry.js';

export type ReaderRefusal = ReaderRefusalReason;

export type ReaderAuthResult = { status: 'authenticated'; method: 'challenge-response' | 'identity-match' } | { status: 'refused'; reason: ReaderRefusal };

/** 32 bytes: within wire/reader-auth.ts's 16..64, and a full security level of 128 bits against guessing. */
export const READER_CHALLENGE_BYTES = 32;

export interface ReaderAuthDeps {
  random: (n: number) => Uint8Array;
  logger: Logger;
}

export async function authenticateReader(reader: ReaderIdentity, registry: ReaderRegistry | undefined, kioskId: string, deps: ReaderAuthDeps): Promise<ReaderAuthResult> {
  const refuse = (reason: ReaderRefusal): ReaderAuthResult => {
    deps.logger.warn('reader refused', { reader: reader.id, kind: reader.kind, reason, registryVersion: registry?.version });
    return { status: 'refused', reason };
  };
  if (registry === undefined) return refuse('no-registry');
  const entry = registry.readers.find((r) => r.id === reader.id);
  if (entry === undefined) return refuse('unknown-reader');
  if (entry.kind !== reader.kind) return refuse('kind-mismatch');
  // The descriptor is compared for every entry: the registry approves a device, not only a key.
  if (!descriptorMatches(entry, reader.descriptor)) return refuse('identity-mismatch');
  if (entry.publicKey === null) {
    deps.logger.info('reader authenticated', { reader: reader.id, kind: reader.kind, method: 'identity-match', registryVersion: registry.version });
    return { status: 'authenticated', method: 'identity-match' };
  }
  // A keyed entry: a signature or nothing. A device that says it cannot sign is refused before it is asked.
  if (!reader.canSign) return refuse('cannot-sign');
  const challenge = deps.random(READER_CHALLENGE_BYTES);
  try {
    let signature: Uint8Array | undefined;
    try {
      signature = await reader.sign(readerChallengeMessage(reader.id, kioskId, challenge));
    } catch (e) {
      deps.logger.warn('reader could not sign', { reader: reader.id, err: e });
      return refuse('io');
    }
    if (verifyReaderSignature(entry, kioskId, challenge, signature) !== 'ok') return refuse('bad-signature');
  } finally {
    challenge.fill(0);
  }
  deps.logger.info('reader authenticated', { reader: reader.id, kind: reader.kind, method: 'challenge-response', registryVersion: registry.version });
  return { status: 'authenticated', method: 'challenge-response' };
}

export interface DeviceAuthResult {
  readonly device: ReaderIdentity;
  readonly result: ReaderAuthResult;
}

/**
 * Authenticates every device the kiosk uses (the station's reader, then
 * e.g. a keypad), one at a time, against the same registry. Each device is
 * decided on its own; the caller uses only those authenticated and reports
 * each result (`reader-report`).
 */
export async function authenticateDevices(devices: readonly ReaderIdentity[], registry: ReaderRegistry | undefined, kioskId: string, deps: ReaderAuthDeps): Promise<DeviceAuthResult[]> {
  const out: DeviceAuthResult[] = [];
  for (const device of devices) out.push({ device, result: await authenticateReader(device, registry, kioskId, deps) });
  return out;
}

/**
 * The pending-enrolment marker (docs/provisioning.md §2 "A lost answer"):
 * `<identityDir>/enrol.pending`, written (atomically, public: mode 0644)
 * right after the keys were born and before the request is sent, and
 * removed once the enrolled identity is written.
 *
 * The center commits an enrolment before it answers, so once the request
 * may have reached it, the keys must not be thrown away: a kiosk that never
 * got the answer (a lost connection, a timeout) or refused it (a clock far
 * behind) keeps its store and this marker, and the same command run again
 * sends the very same request — same CSR, same public keys, same proof —
 * which the center answers again for the same token. Everything in it is
 * public (the request minus the token): the proof is a signature, made once
 * while the signing key was in memory, and Ed25519 signs deterministically
 * (RFC 8032 §5.1.6), so it is the proof the keys would give again.
 */
import { unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { KeyFileError, readChecked, writeAtomic } from '../../common/key-files.js';
import { idSchema } from '../../wire/messages.js';
import { KeyStoreError } from '../keystore/types.js';

export const PENDING_ENROLMENT_FILE = 'enrol.pending';

const hex = (bytes: number) => z.string().regex(new RegExp(`^[0-9a-f]{${bytes * 2}}$`));

const markerSchema = z.strictObject({
  v: z.literal(1),
  kiosk: idSchema,
  /** The key store kind the keys were born in. */
  store: z.enum(['sealed-file', 'tpm']),
  csr: z.string().max(4096),
  signingPublicKey: hex(32),
  sealingPublicKey: hex(32),
  proof: hex(64),
});

export type PendingEnrolment = z.infer<typeof markerSchema>;

export function pendingEnrolmentFile(identityDir: string): string {
  return join(identityDir, PENDING_ENROLMENT_FILE);
}

/** Writes the marker (refused when one exists: KeyFileError EXISTS). */
export async function writePendingEnrolment(identityDir: string, m: PendingEnrolment): Promise<void> {
  await writeAtomic(pendingEnrolmentFile(identityDir), new Uint8Array(Buffer.from(`${JSON.stringify(m)}\n`, 'utf8')), { secret: false });
}

/** The marker, or undefined when there is none; KeyStoreError EXISTS when a file is there but is not one. */
export async function readPendingEnrolment(identityDir: string): Promise<PendingEnrolment | undefined> {
  const path = pendingEnrolmentFile(identityDir);
  let bytes: Buffer;
  try {
    bytes = await readChecked(path, false, 16 * 1024);
  } catch (e) {
    if (e instanceof KeyFileError && e.code === 'NOT_FOUND') return undefined;
    throw new KeyStoreError('EXISTS', `${path} cannot be read as a pending enrolment (${(e as Error).message}): wipe the directory (cardline kiosk wipe) to start over`);
  }
  let json: unknown;
  try {
    json = JSON.parse(bytes.toString('utf8'));
  } catch {
    json = undefined;
  }
  const parsed = markerSchema.safeParse(json);
  if (!parsed.success) throw new KeyStoreError('EXISTS', `${path} is not a pending enrolment: wipe the directory (cardline kiosk wipe) to start over`);
  return parsed.data;
}

export async function removePendingEnrolment(identityDir: string): Promise<void> {
  await unlink(pendingEnrolmentFile(identityDir)).catch((e: NodeJS.ErrnoException) => {
    if (e.code !== 'ENOENT') throw e;
  });
}

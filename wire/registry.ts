/**
 * The reader registry: which readers a kiosk may use, what each reports
 * about itself, and each reader's identity key (DESIGN §3 step 2, §4; the
 * sources' "reader/writer authentication database (216)"). The center signs
 * it with its Ed25519 key on its own, outside any envelope, so the kiosk can
 * keep it on disk (DESIGN §6) and check it again at every start.
 *
 * Format (`SignedRegistry`, messages.ts `signedRegistrySchema`): `r` is
 * canonical base64 of the registry's UTF-8 JSON bytes, keys in the order of
 * `ReaderRegistry` and `RegistryReader`; `s` is canonical base64 of the
 * Ed25519 signature over exactly those bytes. The kiosk verifies the
 * signature before parsing. docs/reader-auth.md has the rules.
 *
 * Format version 2 (issue 5): every entry carries the device descriptor
 * (vendor, product, serial) that identity match compares. Version 1 entries
 * had none, so a v1 registry cannot say what a keyless device must report:
 * it is refused ('malformed'), not read with defaults.
 */
import { z } from 'zod';
import { decodeBase64, encodeBase64, encodeUtf8, parseJsonBytes } from './encoding.js';
import { WireError, issueList } from './errors.js';
import { ED25519_SIGNATURE_BYTES, ed25519Sign, ed25519Verify } from './keys.js';
import { idSchema, readerKindSchema } from './messages.js';

export const MAX_REGISTRY_READERS = 64;

/** 1..64 printable ASCII (space to tilde): what a device may report as vendor, product or serial. */
export const DESCRIPTOR_PATTERN = /^[\x20-\x7e]{1,64}$/;

export interface RegistryReader {
  id: string;
  kind: 'sim' | 'pcsc' | 'dispenser' | 'keypad';
  /** Vendor as the device reports it (hardware/station.ts `DeviceDescriptor`). */
  vendor: string;
  product: string;
  /** The device's serial; null: the device reports none (and only such a device matches). */
  serial: string | null;
  /** The reader's Ed25519 identity key, hex of 32 bytes; null when the device cannot sign (identity match only). */
  publicKey: string | null;
}

export interface ReaderRegistry {
  v: 2;
  kiosk: string;
  /** Increases with every change, so a kiosk can refuse an older registry. */
  version: number;
  /** Milliseconds since the epoch. */
  issuedAt: number;
  readers: RegistryReader[];
}

/** base64 registry JSON bytes; base64 signature. */
export interface SignedRegistry {
  r: string;
  s: string;
}

const descriptorField = z.string().regex(DESCRIPTOR_PATTERN);

const readerSchema = z.strictObject({
  id: idSchema,
  kind: readerKindSchema,
  vendor: descriptorField,
  product: descriptorField,
  serial: descriptorField.nullable(),
  publicKey: z
    .string()
    .regex(/^[0-9A-Fa-f]{64}$/)
    .nullable(),
});

const registrySchema = z.strictObject({
  v: z.literal(2),
  kiosk: idSchema,
  version: z.number().int().min(0),
  issuedAt: z.number().int().min(0),
  readers: z
    .array(readerSchema)
    .max(MAX_REGISTRY_READERS)
    .refine((readers) => new Set(readers.map((r) => r.id)).size === readers.length, 'reader IDs must be unique'),
});

/** An invalid registry is a programming error of the center (RangeError). */
export function signRegistry(reg: ReaderRegistry, centerSecret: Uint8Array): SignedRegistry {
  const checked = registrySchema.safeParse(reg);
  if (!checked.success) throw new RangeError(`registry invalid: ${issueList(checked.error)}`);
  const { v, kiosk, version, issuedAt, readers } = checked.data;
  // The canonical bytes: keys in the documented order, whatever order the caller's objects had.
  const json = JSON.stringify({
    v,
    kiosk,
    version,
    issuedAt,
    readers: readers.map(({ id, kind, vendor, product, serial, publicKey }) => ({ id, kind, vendor, product, serial, publicKey })),
  });
  const bytes = encodeUtf8(json);
  return { r: encodeBase64(bytes), s: encodeBase64(ed25519Sign(bytes, centerSecret)) };
}

/** Throws WireError: 'malformed' (encoding, shape, v ≠ 2, descriptors, ≤64 readers, unique IDs), 'bad-signature', 'wrong-address' (kiosk ≠ expectKiosk). */
export function verifyRegistry(signed: SignedRegistry, centerPublic: Uint8Array, expectKiosk: string): ReaderRegistry {
  if (typeof signed !== 'object' || signed === null || typeof signed.r !== 'string' || typeof signed.s !== 'string') {
    throw new WireError('malformed', 'registry: not {r, s} strings');
  }
  const bytes = decodeBase64(signed.r, 'registry r');
  const signature = decodeBase64(signed.s, 'registry s');
  if (signature.length !== ED25519_SIGNATURE_BYTES) throw new WireError('malformed', `registry s: ${signature.length} bytes`);
  if (!ed25519Verify(signature, bytes, centerPublic)) throw new WireError('bad-signature', 'registry not signed by the center');

  const parsed = registrySchema.safeParse(parseJsonBytes(bytes, 'registry'));
  if (!parsed.success) throw new WireError('malformed', `registry: ${issueList(parsed.error)}`);
  if (parsed.data.kiosk !== expectKiosk) throw new WireError('wrong-address', `registry is for kiosk ${parsed.data.kiosk}, not ${expectKiosk}`);
  return parsed.data;
}

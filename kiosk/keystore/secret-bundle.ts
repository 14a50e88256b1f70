/**
 * The kiosk's secrets as one byte string (docs/keystore.md "Bundle"), the
 * plaintext that a store seals: the sealed file encrypts it whole; the TPM
 * seals it without the TLS part (the TLS key lives in the TPM itself, and
 * a sealed data object holds at most 128 bytes: TCG TPM 2.0 Part 2
 * §10.4.5 MAX_SYM_DATA).
 *
 *   version   1 byte   = 0x01
 *   then TLVs, tag 1 byte, length 2 bytes big-endian, in this order:
 *   0x01      32 bytes   Ed25519 signing secret (RFC 8032 §5.1.5 seed)
 *   0x02      32 bytes   X25519 sealing secret (RFC 7748 §5)
 *   0x03      1 + n      optional: TLS kind (0x01 PEM PKCS#8, 0x02 TSS2) ‖ the PEM bytes
 *
 * Decoding is strict: every tag once, in order, exact lengths, no trailing
 * byte, a PEM of the declared kind. Anything else is KeyStoreError INVALID.
 * Secrets stay bytes from end to end (never a JavaScript string, which
 * cannot be wiped): the decoder copies them into buffers the caller owns,
 * and the encoder's output is the caller's to zeroize.
 */
import { KeyStoreError, type TlsKeyMaterial } from './types.js';

export const BUNDLE_VERSION = 0x01;
export const KEY_BYTES = 32;
/** A PEM private key is far smaller (P-256 PKCS#8 ≈ 240 bytes, a TSS2 blob ≈ 700). */
export const MAX_PEM_BYTES = 16 * 1024;

const TAG_SIGNING = 0x01;
const TAG_SEALING = 0x02;
const TAG_TLS = 0x03;
const TLS_KINDS = { pem: 0x01, tpm2: 0x02 } as const;

/** What a bundle holds; `tls` is absent in the TPM's sealed part. */
export interface BundleContent {
  readonly signingKey: Uint8Array;
  readonly sealingKey: Uint8Array;
  readonly tls?: TlsKeyMaterial;
}

/** The PEM header each TLS kind must start with (RFC 7468 §10 "PRIVATE KEY"; the TSS2 key format of tpm2-openssl). */
const PEM_BEGIN: Record<TlsKeyMaterial['kind'], Uint8Array> = {
  pem: ascii('-----BEGIN PRIVATE KEY-----'),
  tpm2: ascii('-----BEGIN TSS2 PRIVATE KEY-----'),
};

/** Encodes the bundle into a new buffer (the caller zeroizes it). Throws KeyStoreError INVALID on wrong sizes. */
export function encodeSecretBundle(b: BundleContent): Uint8Array {
  checkKey(b.signingKey, 'signing key');
  checkKey(b.sealingKey, 'sealing key');
  if (b.tls) checkPem(b.tls);
  const tlsLength = b.tls ? 1 + b.tls.pem.length : 0;
  const out = new Uint8Array(1 + 2 * (3 + KEY_BYTES) + (b.tls ? 3 + tlsLength : 0));
  out[0] = BUNDLE_VERSION;
  let at = putTlv(out, 1, TAG_SIGNING, KEY_BYTES);
  out.set(b.signingKey, at);
  at = putTlv(out, at + KEY_BYTES, TAG_SEALING, KEY_BYTES);
  out.set(b.sealingKey, at);
  at += KEY_BYTES;
  if (b.tls) {
    at = putTlv(out, at, TAG_TLS, tlsLength);
    out[at] = TLS_KINDS[b.tls.kind];
    out.set(b.tls.pem, at + 1);
  }
  return out;
}

/**
 * Decodes a bundle into fresh buffers (the input is left as it is: the
 * caller zeroizes it). `requireTls`: the sealed file must carry the TLS key,
 * the TPM's sealed part must not.
 */
export function decodeSecretBundle(bytes: Uint8Array, requireTls: boolean, what: string): BundleContent {
  if (bytes.length < 1 || bytes[0] !== BUNDLE_VERSION) throw invalid(what, `bundle version ${bytes[0] ?? 'missing'} (expected ${BUNDLE_VERSION})`);
  const r = { at: 1 };
  const signing = take(bytes, r, TAG_SIGNING, what);
  const sealing = take(bytes, r, TAG_SEALING, what);
  if (signing.length !== KEY_BYTES || sealing.length !== KEY_BYTES) throw invalid(what, 'a key of the wrong length');
  let tls: TlsKeyMaterial | undefined;
  if (r.at < bytes.length) {
    const v = take(bytes, r, TAG_TLS, what);
    const kind = v[0] === TLS_KINDS.pem ? 'pem' : v[0] === TLS_KINDS.tpm2 ? 'tpm2' : undefined;
    if (!kind) throw invalid(what, `unknown TLS key kind ${v[0] ?? 'missing'}`);
    const found: TlsKeyMaterial = { kind, pem: v.subarray(1) };
    checkPem(found, what);
    tls = found;
  }
  if (r.at !== bytes.length) throw invalid(what, 'trailing bytes after the last field');
  if (requireTls && !tls) throw invalid(what, 'no TLS key');
  if (!requireTls && tls) throw invalid(what, 'a TLS key where none belongs');
  // Copies the caller owns: nothing keeps a view into the (to be zeroized) input.
  return { signingKey: signing.slice(), sealingKey: sealing.slice(), ...(tls ? { tls: { kind: tls.kind, pem: tls.pem.slice() } } : {}) };
}

function putTlv(out: Uint8Array, at: number, tag: number, length: number): number {
  out[at] = tag;
  out[at + 1] = length >> 8;
  out[at + 2] = length & 0xff;
  return at + 3;
}

/** The value of the next TLV, which must have tag `tag`; a view into `bytes`. */
function take(bytes: Uint8Array, r: { at: number }, tag: number, what: string): Uint8Array {
  if (r.at + 3 > bytes.length) throw invalid(what, `truncated before field ${tag}`);
  if (bytes[r.at] !== tag) throw invalid(what, `field ${bytes[r.at]} where field ${tag} belongs`);
  const length = (bytes[r.at + 1]! << 8) | bytes[r.at + 2]!;
  const start = r.at + 3;
  if (start + length > bytes.length) throw invalid(what, `field ${tag} longer than the bundle`);
  r.at = start + length;
  return bytes.subarray(start, start + length);
}

function checkKey(key: Uint8Array, name: string): void {
  if (!(key instanceof Uint8Array) || key.length !== KEY_BYTES) throw new KeyStoreError('INVALID', `the ${name} must be ${KEY_BYTES} bytes`);
}

function checkPem(tls: TlsKeyMaterial, what = 'the TLS key'): void {
  const begin = PEM_BEGIN[tls.kind];
  if (!(tls.pem instanceof Uint8Array) || tls.pem.length < begin.length || tls.pem.length > MAX_PEM_BYTES) {
    throw invalid(what, `TLS key of ${tls.pem?.length ?? 0} bytes (${begin.length}..${MAX_PEM_BYTES})`);
  }
  for (let i = 0; i < begin.length; i++) {
    if (tls.pem[i] !== begin[i]) throw invalid(what, `the TLS key of kind ${tls.kind} must be a PEM starting with ${String.fromCharCode(...begin)}`);
  }
}

function invalid(what: string, reason: string): KeyStoreError {
  return new KeyStoreError('INVALID', `${what}: ${reason}`);
}

function ascii(text: string): Uint8Array {
  return Uint8Array.from(text, (c) => c.charCodeAt(0));
}

// Shared fixtures of the wire tests: fixed keys (test values only), a valid
// envelope, and a crafter that signs any JSON text as `e`, so tests can build
// payloads the sealer would never produce.
import { ed25519PublicKey, ed25519Sign } from '../../../wire/keys.js';
import type { Envelope, OpenOptions, Sender } from '../../../wire/envelope.js';

export const KIOSK = 'kiosk-01';
export const SESSION = '0123456789abcdef0123456789abcdef';
export const NOW = 1_700_000_000_000;

export const kioskSecret = new Uint8Array(32).fill(0x11);
export const centerSecret = new Uint8Array(32).fill(0x22);
export const otherSecret = new Uint8Array(32).fill(0x33);
export const kioskPublic = ed25519PublicKey(kioskSecret);
export const centerPublic = ed25519PublicKey(centerSecret);

export function keysFor(from: Sender, kiosk: string): Uint8Array | undefined {
  if (from === 'center') return centerPublic;
  return kiosk === KIOSK ? kioskPublic : undefined;
}

export function upOptions(overrides: Partial<OpenOptions> = {}): OpenOptions {
  return { topic: `kiosk/${KIOSK}/up`, now: NOW, publicKeyFor: keysFor, ...overrides };
}

export function downOptions(overrides: Partial<OpenOptions> = {}): OpenOptions {
  return { topic: `kiosk/${KIOSK}/down`, now: NOW, publicKeyFor: keysFor, ...overrides };
}

export function upEnvelope<B>(type: string, body: B, overrides: Partial<Envelope> = {}): Envelope<B> {
  return { v: 1, kiosk: KIOSK, from: 'kiosk', session: SESSION, seq: 1, deadline: NOW + 5000, type, body, ...overrides } as Envelope<B>;
}

export const helloBody = { agent: 'cardline-kiosk/0.1', readers: [{ id: 'r1', kind: 'sim' }], card: { present: false } };

const b64 = (b: Uint8Array): string => Buffer.from(b).toString('base64');

/** Signs `signed` (any text, or raw bytes) with `secret` and wraps it as a payload. */
export function craft(signed: string | Uint8Array, secret: Uint8Array = kioskSecret): Uint8Array {
  const e = typeof signed === 'string' ? new TextEncoder().encode(signed) : signed;
  return new TextEncoder().encode(JSON.stringify({ e: b64(e), s: b64(ed25519Sign(e, secret)) }));
}

/** The header JSON text of a valid up envelope, with `bodyJson` spliced in as raw text. */
export function upJson(bodyJson: string, headerOverrides: Record<string, unknown> = {}): string {
  const header = { v: 1, kiosk: KIOSK, from: 'kiosk', session: SESSION, seq: 1, deadline: NOW + 5000, type: 'hello', ...headerOverrides };
  return `${JSON.stringify(header).slice(0, -1)},"body":${bodyJson}}`;
}

export function outer(payload: Uint8Array): { e: string; s: string } {
  return JSON.parse(new TextDecoder().decode(payload)) as { e: string; s: string };
}

export function wrap(o: unknown): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(o));
}

/**
 * PEM (RFC 7468) built byte to byte, never through a JavaScript string:
 * for private keys, which must stay wipeable (strings cannot be zeroed).
 * The caller zeroizes both the DER it passes and the PEM it gets.
 */

/** `-----BEGIN <label>-----`, base64 of `der` in 64-column lines, `-----END <label>-----`, each line ending in LF. */
export function pemBytes(der: Uint8Array, label: string): Uint8Array {
  if (!/^[A-Z0-9 ]{1,40}$/.test(label)) throw new Error('PEM label: 1..40 of A-Z, 0-9 and space');
  const b64 = base64Bytes(der);
  const begin = ascii(`-----BEGIN ${label}-----\n`);
  const end = ascii(`-----END ${label}-----\n`);
  const lines = Math.ceil(b64.length / 64);
  const out = new Uint8Array(begin.length + b64.length + lines + end.length);
  out.set(begin, 0);
  let at = begin.length;
  for (let i = 0; i < b64.length; i += 64) {
    const line = b64.subarray(i, Math.min(i + 64, b64.length));
    out.set(line, at);
    at += line.length;
    out[at++] = 0x0a;
  }
  out.set(end, at);
  b64.fill(0);
  return out;
}

/** RFC 4648 §4 base64 (with padding), byte to byte. */
function base64Bytes(data: Uint8Array): Uint8Array {
  const alphabet = ascii('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/');
  const out = new Uint8Array(Math.ceil(data.length / 3) * 4);
  let o = 0;
  for (let i = 0; i < data.length; i += 3) {
    const n = (data[i]! << 16) | ((data[i + 1] ?? 0) << 8) | (data[i + 2] ?? 0);
    out[o++] = alphabet[(n >> 18) & 63]!;
    out[o++] = alphabet[(n >> 12) & 63]!;
    out[o++] = i + 1 < data.length ? alphabet[(n >> 6) & 63]! : 0x3d;
    out[o++] = i + 2 < data.length ? alphabet[n & 63]! : 0x3d;
  }
  return out;
}

function ascii(text: string): Uint8Array {
  return Uint8Array.from(text, (c) => c.charCodeAt(0));
}

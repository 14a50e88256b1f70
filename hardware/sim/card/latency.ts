/**
 * Card latency: a fixed processing time per command (by INS) plus a
 * transfer time per byte in both directions, slept on the injected clock.
 * Off by default; REFERENCE_LATENCY reproduces the public figures of
 * card-management tools' debug logs with contact readers at T=1
 * (shared/reference/card-protocol.md):
 *
 *   SELECT ISD        14 bytes in, 69 out   17 + 83 × 0.087 ≈ 24 ms  (measured 17–31)
 *   GET DATA CPLC      5 in, 47 out         12 + 52 × 0.087 ≈ 17 ms  (~16)
 *   INITIALIZE UPDATE 14 in, 34 out         41 + 48 × 0.087 ≈ 45 ms  (~45)
 *   secured STORE DATA 260 in, 2 out        25 + 262 × 0.087 ≈ 48 ms (47–50)
 *
 * 0.087 ms per byte is 10 etu at about 115 kbit/s (TA1 = 13 at 4.8 MHz
 * gives 9600 × 372/31 ≈ 115 kbit/s, ISO 7816-3 §7.1). Nothing is random:
 * the model is deterministic, so benchmarks are repeatable.
 */
export interface LatencyModel {
  /** Processing time of a command whose INS has no entry in `perInsMs`. */
  readonly baseMs: number;
  /** Processing time by INS (e.g. 0x50 for INITIALIZE UPDATE). */
  readonly perInsMs?: Readonly<Record<number, number>>;
  /** Transfer time per byte, command and response together. */
  readonly perByteMs: number;
}

export const REFERENCE_LATENCY: LatencyModel = {
  baseMs: 12,
  perInsMs: {
    0xa4: 17, // SELECT
    0xca: 12, // GET DATA
    0x50: 41, // INITIALIZE UPDATE
    0x82: 20, // EXTERNAL AUTHENTICATE
    0xe2: 25, // STORE DATA (decrypt, write EEPROM)
    0xe6: 15, // INSTALL
    0xd8: 30, // PUT KEY
    0xf2: 15, // GET STATUS
    0xf0: 20, // SET STATUS
    0xd6: 20, // UPDATE BINARY
    0xdc: 20, // UPDATE RECORD
  },
  perByteMs: 0.087,
};

/** Milliseconds one command takes under `model`. */
export function latencyMs(model: LatencyModel, ins: number | undefined, bytesIn: number, bytesOut: number): number {
  const base = ins === undefined ? model.baseMs : (model.perInsMs?.[ins] ?? model.baseMs);
  return base + (bytesIn + bytesOut) * model.perByteMs;
}

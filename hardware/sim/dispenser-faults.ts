/**
 * Faults a test can inject into the simulated serial dispenser
 * (sim-dispenser.ts): what a bad cable, a worn mechanism or an empty hopper
 * do to the host. Each is a counter or a flag the device consults on the
 * way in or out; the noise is from a seeded generator so a failing run can
 * be replayed.
 */
export interface DispenserFaults {
  /** Random garbage bytes written before every frame and control byte the device sends (0 = off). */
  noiseBytes: number;
  /** The next N outbound writes are damaged: a control byte is lost, a frame loses one byte. */
  drop: number;
  /** The next N command frames are received as if their BCC were bad: the device NAKs them. */
  nak: number;
  /** The next N response frames go out with a wrong BCC (the host must ENQ). */
  corruptResponses: number;
  /** The mechanism is jammed: every move answers JAM until `jammed` is cleared. */
  jammed: boolean;
  /** The hopper sensor reads empty whatever the hopper holds. */
  hopperEmpty: boolean;
}

export function noFaults(): DispenserFaults {
  return { noiseBytes: 0, drop: 0, nak: 0, corruptResponses: 0, jammed: false, hopperEmpty: false };
}

/** A small seeded generator (xorshift32): reproducible line noise. */
export function noiseSource(seed: number): (n: number) => Uint8Array {
  let x = seed >>> 0 || 0x9e3779b9;
  return (n) => {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      x ^= x << 13;
      x >>>= 0;
      x ^= x >>> 17;
      x ^= x << 5;
      x >>>= 0;
      out[i] = x & 0xff;
    }
    return out;
  };
}

/** Applies the outbound faults to one write (`frame` true for a frame); consumes counters. */
export function damage(f: DispenserFaults, bytes: Uint8Array, frame: boolean, noise: (n: number) => Uint8Array): Uint8Array {
  let out = bytes;
  if (frame && f.corruptResponses > 0) {
    f.corruptResponses--;
    out = out.slice();
    out[out.length - 1] = out[out.length - 1]! ^ 0xff;
  }
  if (f.drop > 0) {
    f.drop--;
    // Lose one byte from the middle of a frame (not its STX, which would just be noise), or the whole control byte.
    out = frame ? Uint8Array.of(...out.subarray(0, 3), ...out.subarray(4)) : new Uint8Array(0);
  }
  if (f.noiseBytes > 0) out = Uint8Array.of(...noise(f.noiseBytes), ...out);
  return out;
}

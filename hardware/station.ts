/**
 * CardStation: the kiosk's view of a card-issuing mechanism — a hopper of
 * blank cards, an IC contact station where the card is written, a gate that
 * hands the card to the customer and a reject bin that keeps it (DESIGN §1:
 * "card hopper, IC station, stacker and reject bin"). A plain reader with a
 * slot is a station without a hopper (feed waits for the customer).
 *
 * Implementations: the simulated dispenser (hardware/sim/sim-station.ts);
 * later the serial dispenser (issue 5).
 *
 * Contract:
 * - A card is in exactly one place at any time: hopper, station, gate or
 *   reject bin. Moves survive a crash of the agent at any instant (the
 *   simulator renames files atomically; a real device keeps the card where
 *   the motor left it). After a restart, `cardAtStation()` tells the truth.
 * - `feed()` moves the next card from the hopper to the IC station. It
 *   rejects StationError 'OCCUPIED' when a card is already there and
 *   'HOPPER_EMPTY' when none is left; nothing moves then.
 * - `transport` reaches the contacts of the card at the station. It reports
 *   'NO_CARD' when the station is empty. A card's power is cut when it
 *   leaves the station.
 * - `eject()` moves the card at the station to the gate (the customer takes
 *   it); `capture()` moves it to the reject bin. Both reject 'NO_CARD' when
 *   the station is empty. Only a fully issued card may be ejected: that is
 *   the caller's rule (the kiosk ejects only on the center's `issued`).
 * - `identity` is the device's own identity for reader authentication
 *   (DESIGN §3 step 2): it signs a challenge with the reader's key.
 * - `close()` releases the device; idempotent; later calls reject 'CLOSED'.
 */
import type { CardTransport } from './card-transport.js';

/**
 * 'UNSUPPORTED': the mechanism has no such move (a plain reader cannot
 * capture: the customer holds the card). 'TIMEOUT': a wait for the customer
 * (a plain reader's feed) ran out; nothing moved.
 */
export type StationErrorCode = 'OCCUPIED' | 'HOPPER_EMPTY' | 'NO_CARD' | 'JAM' | 'CLOSED' | 'IO' | 'ARGUMENT_INVALID' | 'UNSUPPORTED' | 'TIMEOUT';

export class StationError extends Error {
  override readonly name = 'StationError';
  constructor(
    readonly code: StationErrorCode,
    message: string,
  ) {
    super(`${code}: ${message}`);
  }
}

export function isStationError(e: unknown, code?: StationErrorCode): e is StationError {
  return e instanceof StationError && (code === undefined || e.code === code);
}

export type ReaderKind = 'sim' | 'pcsc' | 'dispenser' | 'keypad';

/**
 * What a device reports about itself, as its driver reads it: USB
 * descriptors (HID), the PC/SC reader name (pcsc-lite's friendly name and
 * USB serial), the dispenser's IDENTITY answer. Not a proof: a keyless
 * device is authenticated by matching this against the center-signed
 * registry (identity match), which a cloned device could pass; a device
 * with a key must sign a challenge instead.
 */
export interface DeviceDescriptor {
  /** Vendor as the device reports it (USB vendor ID as 4 hex digits, or a name). */
  readonly vendor: string;
  /** Product / model as the device reports it. */
  readonly product: string;
  /** The device's serial number, null when it reports none. */
  readonly serial: string | null;
}

/** Who a reader says it is, and the proof. */
export interface ReaderIdentity {
  /** Registry ID of the reader (e.g. its serial number). */
  readonly id: string;
  readonly kind: ReaderKind;
  readonly descriptor: DeviceDescriptor;
  /** True when the device holds an identity key and can sign a challenge. */
  readonly canSign: boolean;
  /**
   * Signs `message` (built by wire/reader-auth.ts `readerChallengeMessage`)
   * with the reader's Ed25519 key; resolves with the 64-byte signature.
   * Readers without a key (identity match only) resolve undefined.
   */
  sign(message: Uint8Array): Promise<Uint8Array | undefined>;
}

export interface StationStatus {
  /** Cards left in the hopper (undefined when the device cannot count). */
  readonly hopperRemaining: number | undefined;
  readonly hopper: 'ok' | 'low' | 'empty';
  readonly cardAtStation: boolean;
}

export interface CardStation {
  readonly name: string;
  readonly identity: ReaderIdentity;
  readonly transport: CardTransport;
  /** True when a card is at the IC station (after a restart too). */
  cardAtStation(): Promise<boolean>;
  /** Hopper → IC station. Resolves with the serial the mechanism knows, if any (a simulator's file name; not trusted: the card's KDD is its identity). */
  feed(): Promise<{ label: string }>;
  /** IC station → gate (to the customer). */
  eject(): Promise<void>;
  /** IC station → reject bin. */
  capture(): Promise<void>;
  status(): Promise<StationStatus>;
  close(): Promise<void>;
}

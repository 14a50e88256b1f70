/**
 * The boundary to the native PC/SC binding (@pokusew/pcsclite 0.6, over
 * libpcsclite). Only the shapes we use are declared here, so that tests can
 * hand the driver a fake at exactly this boundary.
 *
 * What the binding does that the driver must know (read from its source):
 * - `pcsclite()` establishes a context SYNCHRONOUSLY and retries for ever
 *   while pcscd is absent (SCARD_E_NO_SERVICE): the event loop would hang.
 *   `loadPcscLite` therefore probes pcscd's socket first (service.ts).
 * - It lists readers on a thread and emits 'reader' for each new one; a
 *   reader emits 'status' ({ state, atr }) on every state change, 'error'
 *   when its status wait fails (pcscd gone) and then 'end'. An 'error'
 *   without a listener would throw: we always listen.
 * - Errors are plain Errors whose message ends in "(0x8010xxxx)", the
 *   SCARD_E_/SCARD_W_ code (pcsc_stringify_error); `scardCode` reads it.
 * - transmit() of a card pulled mid-command may resolve with 0 bytes.
 */
import { createRequire } from 'node:module';

export interface PcscStatus {
  state: number;
  atr?: Buffer;
}

/** One reader slot as the binding exposes it ("ACS ACR39U ICC Reader 00 00"). */
export interface PcscCardReaderLike {
  readonly name: string;
  readonly connected: boolean;
  on(event: 'status', listener: (status: PcscStatus) => void): unknown;
  on(event: 'end', listener: () => void): unknown;
  on(event: 'error', listener: (e: Error) => void): unknown;
  removeListener(event: 'status', listener: (status: PcscStatus) => void): unknown;
  removeListener(event: 'end', listener: () => void): unknown;
  removeListener(event: 'error', listener: (e: Error) => void): unknown;
  connect(options: { share_mode?: number; protocol?: number }, cb: (err: Error | null | undefined, protocol: number) => void): void;
  disconnect(disposition: number, cb: (err: Error | null | undefined) => void): void;
  transmit(data: Buffer, resLen: number, protocol: number, cb: (err: Error | null | undefined, response: Buffer) => void): void;
  close(): void;
}

/** The reader watcher (the binding's PCSCLite object). */
export interface PcscLiteLike {
  on(event: 'reader', listener: (reader: PcscCardReaderLike) => void): unknown;
  on(event: 'error', listener: (e: Error) => void): unknown;
  /** Called by the binding on the next tick; `watchListing` wraps it to learn when a listing is complete. */
  start?: (cb: (err: Error | undefined, data: Buffer) => void) => void;
  close(): void;
}

/** winscard / pcsclite.h constants (the binding exposes the same values on each reader). */
export const SCARD = {
  SHARE_EXCLUSIVE: 0x1,
  SHARE_SHARED: 0x2,
  PROTOCOL_T0: 0x1,
  PROTOCOL_T1: 0x2,
  LEAVE_CARD: 0x0,
  RESET_CARD: 0x1,
  UNPOWER_CARD: 0x2,
  STATE_CHANGED: 0x2,
  STATE_UNKNOWN: 0x4,
  STATE_UNAVAILABLE: 0x8,
  STATE_EMPTY: 0x10,
  STATE_PRESENT: 0x20,
  STATE_MUTE: 0x200,
} as const;

/** SCARD_E_ / SCARD_W_ codes the driver tells apart (pcsclite.h). */
export const SCARD_CODE = {
  NO_SMARTCARD: 0x8010000c,
  SHARING_VIOLATION: 0x8010000b,
  TIMEOUT: 0x8010000a,
  UNKNOWN_READER: 0x80100009,
  NOT_TRANSACTED: 0x80100016,
  READER_UNAVAILABLE: 0x80100017,
  NO_SERVICE: 0x8010001d,
  SERVICE_STOPPED: 0x8010001e,
  COMM_ERROR: 0x80100013,
  UNRESPONSIVE_CARD: 0x80100066,
  UNPOWERED_CARD: 0x80100067,
  RESET_CARD: 0x80100068,
  REMOVED_CARD: 0x80100069,
} as const;

/** The SCARD code at the end of a binding error's message, or undefined. */
export function scardCode(e: unknown): number | undefined {
  const m = /\(0x([0-9a-fA-F]{8})\)\s*$/.exec(e instanceof Error ? e.message : '');
  return m ? parseInt(m[1]!, 16) : undefined;
}

/** The SCARD code as 8 hex digits, for messages and logs (never the binding's whole message). */
export function scardHex(code: number | undefined): string {
  return code === undefined ? 'unknown' : `0x${code.toString(16).padStart(8, '0')}`;
}

/** Codes that mean the card or the reader went away. */
export function meansGone(code: number | undefined): boolean {
  return (
    code === SCARD_CODE.REMOVED_CARD ||
    code === SCARD_CODE.NO_SMARTCARD ||
    code === SCARD_CODE.READER_UNAVAILABLE ||
    code === SCARD_CODE.UNKNOWN_READER
  );
}

export type PcscLiteFactory = () => PcscLiteLike;

/** The real binding's factory, loaded on first use (a native module: not loaded by code that never touches PC/SC). */
export function nativePcscLite(): PcscLiteFactory {
  const require = createRequire(import.meta.url);
  return require('@pokusew/pcsclite') as PcscLiteFactory;
}

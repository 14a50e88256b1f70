/**
 * Volatile state: what a real card keeps in RAM and loses at every reset or
 * power cut (GPC v2.3.1 §10.2.3, §11.11.1): the selected application, the
 * current file, the SCP03 session, the personalization session with its
 * block counter and partial DGI, and a pending GET STATUS continuation.
 */
import type { DgiStreamParser } from '../../../card/dgi.js';
import type { RegistryEntry } from '../../../card/gp/get-status.js';
import type { StoreDataSequence } from '../../../card/gp/store-data.js';
import type { CardSecureChannel } from '../../../card/scp03/index.js';
import { AT_MF, type FsPointer } from './file-system.js';

export type Selected = { readonly kind: 'isd' } | { readonly kind: 'app'; readonly aid: Uint8Array };

/** Started by INSTALL [for personalization], ended by the last block or any of GPC v2.3.1 §11.11.1's events. */
export interface PersoSession {
  readonly aid: Uint8Array;
  /** Block numbering of STORE DATA (GPC v2.3.1 §11.11.2.2). */
  readonly blocks: StoreDataSequence;
  /** DGIs may span blocks: the bytes of an incomplete one wait here (RAM, lost at reset). */
  readonly parser: DgiStreamParser;
}

export interface GetStatusContinuation {
  readonly p1: number;
  readonly entries: RegistryEntry[];
}

export interface Session {
  selected: Selected;
  fs: FsPointer;
  channel: CardSecureChannel | undefined;
  /** A copy of the static Key-DEK of the session's key set (PUT KEY, secret DGIs); zeroized with the session. */
  dek: Uint8Array | undefined;
  perso: PersoSession | undefined;
  getStatusRest: GetStatusContinuation | undefined;
}

/** The state right after a reset: the ISD implicitly selected (GPC v2.3.1 §5.1.1.1), the MF current. */
export function freshSession(): Session {
  return { selected: { kind: 'isd' }, fs: AT_MF, channel: undefined, dek: undefined, perso: undefined, getStatusRest: undefined };
}

/** Ends the personalization session, zeroizing any partial DGI. */
export function endPerso(s: Session): void {
  s.perso?.parser.reset();
  s.perso?.blocks.reset();
  s.perso = undefined;
}

/** Ends the secure channel session (keys zeroized) and what depends on it (GPC v2.3.1 §10.2.3, §11.11.1). */
export function endSecureChannel(s: Session): void {
  s.channel?.close();
  s.channel = undefined;
  s.dek?.fill(0);
  s.dek = undefined;
  endPerso(s);
  s.getStatusRest = undefined;
}

/** Drops everything volatile, as a reset does. */
export function clearSession(s: Session): void {
  endSecureChannel(s);
  Object.assign(s, freshSession());
}

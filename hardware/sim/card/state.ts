/**
 * The card's persistent state: what its EEPROM holds. Everything here
 * survives a power cut and is written to the image file (image-codec.ts);
 * volatile state (selection, secure channel, STORE DATA sequence) lives in
 * session.ts and dies with the power.
 *
 * Commands never mutate the committed state: they work on a deep copy (a
 * Transaction's draft) that replaces it only after the image is written,
 * which is what makes every command atomic (GPC v2.3.1 §9.6.7, "the card
 * itself says what it holds").
 */

/** One SCP03 key set of the ISD (GPC v2.3.1 §7.5; key ids 01 ENC, 02 MAC, 03 DEK). */
export interface KeySetState {
  kvn: number;
  enc: Uint8Array;
  mac: Uint8Array;
  dek: Uint8Array;
}

export interface IsdState {
  aid: Uint8Array;
  /** In creation order; KVN 00 in INITIALIZE UPDATE means the first one. */
  keySets: KeySetState[];
  /** SCP03 i parameter (GPC Amd D §5.1): 0x70 or 0x60 in practice. */
  i: number;
  /** Card-profile switch of the C-DECRYPTION counter (card-protocol.md, "C-DECRYPTION"). */
  counterOnlyWithData: boolean;
  /** Last sequence counter value sent (0 = none yet); the next INITIALIZE UPDATE uses this + 1. */
  sequenceCounter: number;
  /** Issuer Identification Number, GET DATA 42 (GPC v2.3.1 §11.3.2.1). */
  iin: Uint8Array;
  /** Card Image Number, GET DATA 45: the card's serial. */
  cin: Uint8Array;
}

/** The personalization target application (perso-app.ts). */
export interface AppState {
  aid: Uint8Array;
  /** Application life cycle (GPC v2.3.1 table 11-4): 07 SELECTABLE, 0F PERSONALIZED, 83 LOCKED. */
  lifeCycle: number;
  /** The state to return to when unlocked (GPC v2.3.1 §5.3.1.3); undefined unless LOCKED. */
  lockedFrom: number | undefined;
  /** Minimum secure-channel level (SL bits) STORE DATA must arrive under. */
  persoLevel: number;
  /** Bytes of DGI values the application may hold (6A84 beyond). */
  memoryLimit: number;
  /** Non-secret DGIs by tag: readable with GET DATA / READ RECORD. */
  dgis: Map<number, Uint8Array>;
  /** Secret DGIs by tag, decrypted: never readable, only their KCVs. */
  secrets: Map<number, Uint8Array>;
}

/** ISO 7816-4 §7.1 file structures this card supports. */
export type EfKind = 'transparent' | 'linear-fixed' | 'linear-variable';

export interface DfNode {
  kind: 'df';
  fid: number;
  /** DF name (ISO 7816-4 §7.1.1), reported in the FCP as 84. */
  name: Uint8Array | undefined;
  children: FsNode[];
}

export interface EfNode {
  kind: EfKind;
  fid: number;
  /** Short EF identifier 1..30 (ISO 7816-4 §7.2.2), or undefined. */
  sfi: number | undefined;
  /** Transparent: the body, fixed size. Records: unused (empty). */
  data: Uint8Array;
  /** Records: fixed length (linear-fixed) or maximum length (linear-variable). */
  recordLength: number;
  /** Records: capacity. */
  maxRecords: number;
  /** Records, record number n at index n-1. */
  records: Uint8Array[];
}

export type FsNode = DfNode | EfNode;

export interface CardState {
  atr: Uint8Array;
  /** The card's serial (4..10 bytes); CPLC IC serial and CIN come from it. */
  serial: Uint8Array;
  /** Key diversification data (10 bytes), the first field of the INITIALIZE UPDATE response. */
  kdd: Uint8Array;
  /** Card life cycle (GPC v2.3.1 table 11-6), inherited by the ISD. */
  lifeCycle: number;
  isd: IsdState;
  apps: AppState[];
  /** The master file 3F00. */
  mf: DfNode;
}

/** A deep copy (Uint8Arrays and Maps included): the draft a command works on. */
export function cloneState(s: CardState): CardState {
  return structuredClone(s);
}

/** Overwrites every key and secret value in `s` (used when a state object is dropped). */
export function zeroizeStateSecrets(s: CardState): void {
  for (const k of s.isd.keySets) {
    k.enc.fill(0);
    k.mac.fill(0);
    k.dek.fill(0);
  }
  for (const app of s.apps) for (const v of app.secrets.values()) v.fill(0);
}

/**
 * SET STATUS (GPC v2.3.1 §11.10) and the life cycle codings it carries
 * (§11.1.1, tables 11-3 to 11-6; the state models are §5.1 and §5.3).
 *
 *   card:        80 F0 80 <state>              (data ignored for P1 80; none sent)
 *   application: 80 F0 40 <state> Lc <AID>
 *   SD and apps: 80 F0 60 <80 lock | 00 unlock> Lc <SD AID>
 *
 * Transition rules (which moves are legal from which state) belong to the
 * card that enforces them; this file only codes and decodes the command.
 */
import { command, type CommandApdu } from '../apdu.js';
import { CardError } from '../errors.js';
import { byteHex, checkAid, checkByte, CLA_GP, INS } from './constants.js';

/** Card life cycle, inherited by the ISD (GPC v2.3.1 §5.1.1, table 11-6). */
export const CARD_LIFE_CYCLE = {
  OP_READY: 0x01,
  INITIALIZED: 0x07,
  SECURED: 0x0f,
  CARD_LOCKED: 0x7f,
  TERMINATED: 0xff,
} as const;
export type CardLifeCycle = (typeof CARD_LIFE_CYCLE)[keyof typeof CARD_LIFE_CYCLE];

/**
 * Application and security domain life cycle (tables 11-4, 11-5). PERSONALIZED
 * is the security domain state; an application uses 0XXXX111 for its own
 * states. LOCKED is b8 on top of the state (83 from INSTALLED).
 */
export const APP_LIFE_CYCLE = {
  INSTALLED: 0x03,
  SELECTABLE: 0x07,
  PERSONALIZED: 0x0f,
  LOCKED: 0x83,
} as const;
/** b8 of an application or SD life cycle: LOCKED (tables 11-4, 11-5). */
export const LOCKED_BIT = 0x80;
/** Executable Load File life cycle (table 11-3). */
export const ELF_LOADED = 0x01;

/** P1 status types (table 11-86). */
export const SET_STATUS_P1 = {
  ISD: 0x80,
  APPLICATION: 0x40,
  SD_AND_APPLICATIONS: 0x60,
} as const;

const CARD_NAMES: ReadonlyMap<number, string> = new Map(Object.entries(CARD_LIFE_CYCLE).map(([k, v]) => [v, k]));

/** Name of a card life cycle state, or undefined for a value table 11-6 does not define. */
export function cardLifeCycleName(state: number): string | undefined {
  return CARD_NAMES.get(state);
}

/** True when `state` is one of the five card life cycle states. */
export function isCardLifeCycle(state: number): state is CardLifeCycle {
  return CARD_NAMES.has(state);
}

/** SET STATUS of the card (ISD): `80 F0 80 <state>`, no data (§11.10.2.3: the card ignores it). */
export function setCardLifeCycle(state: CardLifeCycle): CommandApdu {
  if (!isCardLifeCycle(state)) throw new CardError('ARGUMENT_INVALID', `card life cycle ${byteHex(state)}`);
  return command(CLA_GP, INS.SET_STATUS, SET_STATUS_P1.ISD, state);
}

/** SET STATUS of an application or supplementary SD: `80 F0 40 <state> Lc <AID>`. */
export function setApplicationLifeCycle(aid: Uint8Array, state: number): CommandApdu {
  checkAid(aid);
  checkByte(state, 'application life cycle');
  return command(CLA_GP, INS.SET_STATUS, SET_STATUS_P1.APPLICATION, state, aid);
}

/** Locks (P2 80) or unlocks (P2 00) an application, as a security domain does for another (§11.10.2.2). */
export function lockApplication(aid: Uint8Array, lock: boolean): CommandApdu {
  return setApplicationLifeCycle(aid, lock ? LOCKED_BIT : 0x00);
}

/** Locks or unlocks a security domain and all its associated applications (P1 60). */
export function lockSecurityDomainAndApplications(sdAid: Uint8Array, lock: boolean): CommandApdu {
  checkAid(sdAid, 'security domain AID');
  return command(CLA_GP, INS.SET_STATUS, SET_STATUS_P1.SD_AND_APPLICATIONS, lock ? LOCKED_BIT : 0x00, sdAid);
}

export interface SetStatusRequest {
  readonly target: 'isd' | 'application' | 'sd-and-applications';
  /** P2, the requested state (or just b8 when one SD locks another entity). */
  readonly state: number;
  /** The target AID; absent for the ISD (its data field is ignored). */
  readonly aid?: Uint8Array;
}

/**
 * Card side: decodes SET STATUS. P1 b5..b1 are RFU and ignored (§11.1).
 * Throws `P1P2_INVALID` (6A86) for an undefined status type and
 * `COMMAND_DATA_INVALID` (6A80) for a missing or malformed AID.
 */
export function parseSetStatusCommand(p1: number, p2: number, data: Uint8Array): SetStatusRequest {
  const type = p1 & 0xe0;
  if (type === SET_STATUS_P1.ISD) return { target: 'isd', state: p2 };
  if (type !== SET_STATUS_P1.APPLICATION && type !== SET_STATUS_P1.SD_AND_APPLICATIONS) {
    throw new CardError('P1P2_INVALID', `SET STATUS P1 ${byteHex(p1)}`);
  }
  checkAid(data, 'SET STATUS target AID', 'COMMAND_DATA_INVALID');
  return {
    target: type === SET_STATUS_P1.APPLICATION ? 'application' : 'sd-and-applications',
    state: p2,
    aid: data.slice(),
  };
}

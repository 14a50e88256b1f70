/**
 * What a new card is made of: the profile options, their defaults, and the
 * factory state built from them (used only when a card has no image yet).
 *
 * Defaults (docs/sim-card.md):
 *   ATR          atr.ts DEFAULT_ATR (T=1, historical bytes "CLSIM")
 *   ISD AID      A000000151000000 (GPC v2.3.1 §H.1.3)
 *   app AID      F0434152444C494E4501: F0 (a proprietary, unregistered RID,
 *                ISO 7816-5) ‖ "CARDLINE" ‖ 01
 *   serial       8 random bytes; KDD = serial left-padded with 00 to 10 bytes
 *   ISD keys     `keys` as given, or KDF3(master KMC, KDD) (card/diversify),
 *                or else the GlobalPlatform test key 40..4F for ENC/MAC/DEK
 *   KVN          `kvn`, else keys.kvn when not 00, else 30
 *   i            70 (pseudo-random challenge, R-MAC and R-ENC)
 *   life cycle   OP_READY; the application SELECTABLE
 *   perso level  03: STORE DATA needs C-MAC and C-DECRYPTION
 *   IIN          999999 (GET DATA 42); CIN = serial (GET DATA 45)
 */
import { equalBytes, hex, toHex } from '../../../card/bytes.js';
import { CARDLINE_APP_AID, DEFAULT_ISD_AID } from '../../../card/gp/constants.js';
import { diversifyKdf3 } from '../../../card/diversify.js';
import { isValidLevel, type StaticKeys } from '../../../card/scp03/index.js';
import { checkAtr, DEFAULT_ATR } from './atr.js';
import { SimCardError } from './errors.js';
import { factoryFileSystem } from './fs-layout.js';
import { APP_LIFE_CYCLE, CARD_LIFE_CYCLE, isCardLifeCycle } from './life-cycle.js';
import { DEFAULT_APP_MEMORY } from './perso-app.js';
import type { CardState } from './state.js';

export type Bytes = Uint8Array | string;

export interface SimCardProfileInput {
  /** Answer-to-Reset (bytes or hex); checked by atr.ts checkAtr. */
  atr?: Bytes;
  isdAid?: Bytes;
  /** AID of the personalization target application. */
  appAid?: Bytes;
  /** Card serial, 4..10 bytes (e.g. 8). */
  serial?: Bytes;
  /** ISD static keys as given (takes precedence over `master`). */
  keys?: StaticKeys;
  /** ISD keys diversified from this master key with KDF3 and the card's KDD. */
  master?: { kmc: Uint8Array };
  /** Key version number of the initial key set, 01..7F or FF. */
  kvn?: number;
  /** SCP03 i parameter: 00, 10, 20, 30, 60 or 70 (default 70). */
  i?: number;
  /** Initial card life cycle (default OP_READY). */
  lifeCycle?: number;
  /** C-DECRYPTION counter counts only commands with data (card-protocol.md). */
  counterOnlyWithData?: boolean;
  /** Security level STORE DATA must arrive under (default 03). */
  persoSecurityLevel?: number;
  /** Issuer Identification Number (GET DATA 42). */
  iin?: Bytes;
  /** Bytes of DGI data the application holds (default 32768). */
  appMemory?: number;
}

export const DEFAULT_ISD_AID_HEX = toHex(DEFAULT_ISD_AID);
export const DEFAULT_APP_AID_HEX = toHex(CARDLINE_APP_AID);
export const DEFAULT_KVN = 0x30;
export const DEFAULT_I = 0x70;
export const DEFAULT_PERSO_LEVEL = 0x03;
/** The GlobalPlatform test key (every card maker's default). */
export const GP_TEST_KEY_HEX = '404142434445464748494A4B4C4D4E4F';
/** The i parameters this card offers (S8 mode; b5 pseudo-random, b7b6 R-MAC / R-ENC). */
export const VALID_I: readonly number[] = [0x00, 0x10, 0x20, 0x30, 0x60, 0x70];

function invalid(what: string): SimCardError {
  return new SimCardError('PROFILE_INVALID', what);
}

function bytesOf(v: Bytes | undefined, fallback: string, what: string): Uint8Array {
  if (v === undefined) return hex(fallback);
  if (typeof v !== 'string') return v.slice();
  try {
    return hex(v);
  } catch {
    throw invalid(`${what} is not hex`);
  }
}

function checkLength(b: Uint8Array, min: number, max: number, what: string): void {
  if (b.length < min || b.length > max) throw invalid(`${what} of ${b.length} bytes (expected ${min}..${max})`);
}

function checkKey(k: Uint8Array, what: string): void {
  if (k.length !== 16 && k.length !== 24 && k.length !== 32) throw invalid(`${what} of ${k.length} bytes`);
}

/** KDD: the serial right-aligned in 10 bytes (its low bytes are what EMV CPS diversification uses). */
export function kddOf(serial: Uint8Array): Uint8Array {
  const kdd = new Uint8Array(10);
  kdd.set(serial, 10 - serial.length);
  return kdd;
}

/** Builds the factory state of a new card. Throws SimCardError `PROFILE_INVALID`. */
export function factoryState(p: SimCardProfileInput, random: (n: number) => Uint8Array): CardState {
  const atr = bytesOf(p.atr, '', 'ATR');
  const finalAtr = p.atr === undefined ? DEFAULT_ATR.slice() : atr;
  checkAtr(finalAtr);
  const isdAid = bytesOf(p.isdAid, DEFAULT_ISD_AID_HEX, 'ISD AID');
  const appAid = bytesOf(p.appAid, DEFAULT_APP_AID_HEX, 'application AID');
  checkLength(isdAid, 5, 16, 'ISD AID');
  checkLength(appAid, 5, 16, 'application AID');
  if (equalBytes(isdAid, appAid)) throw invalid('ISD and application share an AID');
  const serial = p.serial === undefined ? random(8).slice(0, 8) : bytesOf(p.serial, '', 'serial');
  checkLength(serial, 4, 10, 'serial');
  const kdd = kddOf(serial);

  const i = p.i ?? DEFAULT_I;
  if (!VALID_I.includes(i)) throw invalid(`i parameter ${i}`);
  const lifeCycle = p.lifeCycle ?? CARD_LIFE_CYCLE.OP_READY;
  if (!isCardLifeCycle(lifeCycle)) throw invalid(`card life cycle ${lifeCycle}`);
  const persoLevel = p.persoSecurityLevel ?? DEFAULT_PERSO_LEVEL;
  if (!isValidLevel(persoLevel)) throw invalid(`security level ${persoLevel}`);
  const memoryLimit = p.appMemory ?? DEFAULT_APP_MEMORY;
  if (!Number.isInteger(memoryLimit) || memoryLimit < 0 || memoryLimit > 1 << 20) throw invalid('application memory');

  let keys: { enc: Uint8Array; mac: Uint8Array; dek: Uint8Array };
  if (p.keys !== undefined) keys = { enc: p.keys.enc.slice(), mac: p.keys.mac.slice(), dek: p.keys.dek.slice() };
  else if (p.master !== undefined) {
    checkKey(p.master.kmc, 'master key');
    keys = diversifyKdf3(p.master.kmc, kdd);
  } else keys = { enc: hex(GP_TEST_KEY_HEX), mac: hex(GP_TEST_KEY_HEX), dek: hex(GP_TEST_KEY_HEX) };
  checkKey(keys.enc, 'Key-ENC');
  checkKey(keys.mac, 'Key-MAC');
  checkKey(keys.dek, 'Key-DEK');
  const kvn = p.kvn ?? (p.keys !== undefined && p.keys.kvn !== 0 ? p.keys.kvn : DEFAULT_KVN);
  if (!Number.isInteger(kvn) || kvn < 1 || (kvn > 0x7f && kvn !== 0xff)) throw invalid(`key version number ${kvn}`);

  return {
    atr: finalAtr,
    serial,
    kdd,
    lifeCycle,
    isd: {
      aid: isdAid,
      keySets: [{ kvn, ...keys }],
      i,
      counterOnlyWithData: p.counterOnlyWithData ?? false,
      sequenceCounter: 0,
      iin: bytesOf(p.iin, '999999', 'IIN'),
      cin: serial.slice(),
    },
    apps: [
      {
        aid: appAid,
        lifeCycle: APP_LIFE_CYCLE.SELECTABLE,
        lockedFrom: undefined,
        persoLevel,
        memoryLimit,
        dgis: new Map(),
        secrets: new Map(),
      },
    ],
    mf: factoryFileSystem(appAid),
  };
}

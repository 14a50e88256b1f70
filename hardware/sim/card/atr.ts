/**
 * Answer-to-Reset (ISO 7816-3 §8.2): the default ATR of the simulated card
 * and a structural check for configured ones.
 *
 * Default (T=1, 13 historical bytes):
 *
 *   3B          TS   direct convention
 *   FD          T0   TA1 TB1 TC1 TD1 present, K = 13 historical bytes
 *   13          TA1  Fi = 372, Di = 4 (as JCOP-class GlobalPlatform cards)
 *   00          TB1  no programming voltage (deprecated, sent as 00)
 *   00          TC1  no extra guard time
 *   81          TD1  T=1, TD2 follows
 *   31          TD2  TA3 TB3 follow, T=1
 *   FE          TA3  IFSC 254
 *   45          TB3  BWI 4, CWI 5
 *   80          category indicator: COMPACT-TLV data objects (ISO 7816-4 §8.1.1)
 *   31 C0       card service data: selection by full and by partial DF name
 *   73 FE 21 00 card capabilities: DF/EF selection by name, path, FID,
 *               implicit, SFI, record number; 1-byte data units; no command
 *               chaining, no extended Lc/Le, no logical channels
 *               (ISO 7816-4 §8.1.1.2.7, tables 117-119)
 *   65 43 4C 53 49 4D  pre-issuing data: "CLSIM"
 *   TCK         XOR of T0..last historical byte
 *
 * The card-capabilities byte 3 is what tools read to learn that this card
 * has no extended-length APDUs and no logical channels, which is why the OS
 * answers extended APDUs with 6700 and CLA channel bits with 6881.
 */
import { SimCardError } from './errors.js';

const DEFAULT_INTERFACE = [0x3b, 0xfd, 0x13, 0x00, 0x00, 0x81, 0x31, 0xfe, 0x45];
/** Historical bytes of the default ATR (see above). */
export const DEFAULT_HISTORICAL_BYTES = Uint8Array.of(
  0x80, 0x31, 0xc0, 0x73, 0xfe, 0x21, 0x00, 0x65, 0x43, 0x4c, 0x53, 0x49, 0x4d,
);

/** Builds the default T=1 ATR around `historical` (0..15 bytes), with its TCK. */
export function buildAtr(historical: Uint8Array = DEFAULT_HISTORICAL_BYTES): Uint8Array {
  if (historical.length > 15) throw new SimCardError('PROFILE_INVALID', `${historical.length} historical bytes (at most 15)`);
  const head = [...DEFAULT_INTERFACE];
  head[1] = (head[1]! & 0xf0) | historical.length;
  const body = [...head, ...historical];
  let tck = 0;
  for (let i = 1; i < body.length; i++) tck ^= body[i]!;
  return Uint8Array.from([...body, tck]);
}

/** The default ATR: `3BFD1300008131FE45 8031C073FE2100 65434C53494D` + TCK. */
export const DEFAULT_ATR = buildAtr();

export interface AtrInfo {
  /** Protocols announced in TD bytes (T=0 when none is). */
  readonly protocols: readonly number[];
  readonly historical: Uint8Array;
}

/**
 * Checks an ATR's structure (ISO 7816-3 §8.2): TS 3B or 3F, the interface
 * bytes T0/TDi announce, K historical bytes, and TCK exactly when a protocol
 * other than T=0 is announced (then the XOR of T0..TCK is 00). At most 33
 * bytes. Throws SimCardError `PROFILE_INVALID` naming the defect.
 */
export function checkAtr(atr: Uint8Array): AtrInfo {
  const bad = (why: string): SimCardError => new SimCardError('PROFILE_INVALID', `ATR: ${why}`);
  if (atr.length < 2 || atr.length > 33) throw bad(`${atr.length} bytes (2..33)`);
  if (atr[0] !== 0x3b && atr[0] !== 0x3f) throw bad('TS must be 3B or 3F');
  const k = atr[1]! & 0x0f;
  let y = atr[1]! >>> 4;
  let pos = 2;
  const protocols: number[] = [];
  for (;;) {
    const present = [0x1, 0x2, 0x4].filter((bit) => (y & bit) !== 0).length;
    pos += present;
    if ((y & 0x8) === 0) break;
    if (pos >= atr.length) throw bad('truncated interface bytes');
    const td = atr[pos]!;
    protocols.push(td & 0x0f);
    y = td >>> 4;
    pos += 1;
  }
  const needsTck = protocols.some((p) => p !== 0);
  const expected = pos + k + (needsTck ? 1 : 0);
  if (atr.length !== expected) throw bad(`length ${atr.length} does not match the ${expected} bytes its interface bytes announce`);
  if (needsTck) {
    let x = 0;
    for (let i = 1; i < atr.length; i++) x ^= atr[i]!;
    if (x !== 0) throw bad('TCK does not match');
  }
  return { protocols: protocols.length > 0 ? protocols : [0], historical: atr.slice(pos, pos + k) };
}

/**
 * T0Card: a card OS answering as a T=0 card would, around any CardEndpoint
 * (our simulated card), for the vpcd card side (`cardline sim card --vpcd
 * --protocol t0`). It exercises the host's procedure-byte handling through
 * real pcscd:
 *
 * - ATR: T=0 only (no TD1, so no TCK; ISO 7816-3 §8.2.2), the inner card's
 *   historical bytes (their card capabilities say no extended Lc/Le).
 * - A command whose answer has data returns 61xx (ISO 7816-4 §5.6: xx =
 *   bytes available, 00 = 256 or more); GET RESPONSE (00 C0 00 00 Le, on any
 *   logical channel) fetches them, chaining 61xx while more remain and ending
 *   with the command's own status word.
 * - Case 2 (P3 is Le, no data out): data of another length than Le is
 *   refused with 6Cxx, xx = the exact length (ISO 7816-3 §10.3.4), as is a
 *   GET RESPONSE asking for more than is left.
 * - GET RESPONSE with nothing pending: 6985 (conditions of use not satisfied).
 * - Extended-length commands cannot travel over T=0: 6700.
 * Anything else (another command, a power cycle) drops the pending data.
 */
import { parseCommand } from '../../../card/apdu.js';
import type { CardEndpoint } from '../card-endpoint.js';

/** TS 3B, T0 7x: TA1 TB1 TC1, no TD1 (T=0 only); TA1 13 = Fi 372, Di 4. */
const T0_INTERFACE = [0x3b, 0x70, 0x13, 0x00, 0x00];

/** A T=0 ATR carrying `historical` (0..15 bytes). */
export function t0Atr(historical: Uint8Array): Uint8Array {
  const h = historical.subarray(0, 15);
  const out = Uint8Array.from([...T0_INTERFACE, ...h]);
  out[1] = 0x70 | h.length;
  return out;
}

/** The historical bytes of a T=1 ATR with TD1/TD2 as our simulated card's (or any ATR); see atr.ts in hardware/sim/card. */
function historicalOf(atr: Uint8Array): Uint8Array {
  const k = atr[1]! & 0x0f;
  let y = atr[1]! >>> 4;
  let pos = 2;
  let tck = 0;
  for (;;) {
    pos += [1, 2, 4].filter((b) => (y & b) !== 0).length;
    if ((y & 8) === 0) break;
    const td = atr[pos]!;
    if ((td & 0x0f) !== 0) tck = 1;
    y = td >>> 4;
    pos++;
  }
  return atr.slice(pos, Math.min(pos + k, atr.length - tck));
}

const sw = (v: number): Uint8Array => Uint8Array.of(v >>> 8, v & 0xff);

export class T0Card implements CardEndpoint {
  readonly atr: Uint8Array;
  private pending: { data: Uint8Array; sw: Uint8Array } | undefined;

  constructor(private readonly inner: CardEndpoint) {
    this.atr = t0Atr(historicalOf(inner.atr));
  }

  async powerOn(): Promise<Uint8Array> {
    this.pending = undefined;
    await this.inner.powerOn();
    return this.atr;
  }

  powerOff(): void {
    this.pending = undefined;
    this.inner.powerOff();
  }

  async transmit(apdu: Uint8Array): Promise<Uint8Array> {
    if (apdu.length === 5 && apdu[1] === 0xc0 && apdu[2] === 0 && apdu[3] === 0) return this.getResponse(apdu[4]! || 256);
    this.pending = undefined;
    let ne: number | undefined;
    let caseNo: number;
    try {
      const c = parseCommand(apdu);
      if (c.extended) return sw(0x6700);
      ne = c.ne;
      caseNo = c.case;
    } catch {
      return this.inner.transmit(apdu);
    }
    const r = await this.inner.transmit(apdu);
    const data = r.subarray(0, r.length - 2);
    const status = r.slice(r.length - 2);
    if (data.length === 0) return r;
    if (caseNo === 2) {
      // P3 is Le: the card sends exactly Le bytes or refuses with the exact count.
      if (data.length === ne) return r;
      if (data.length < 256) return sw(0x6c00 | data.length);
    }
    this.pending = { data: data.slice(), sw: status };
    return sw(0x6100 | (data.length >= 256 ? 0 : data.length));
  }

  private getResponse(le: number): Uint8Array {
    const p = this.pending;
    if (!p) return sw(0x6985);
    if (le > p.data.length) return sw(0x6c00 | (p.data.length >= 256 ? 0 : p.data.length));
    const out = p.data.subarray(0, le);
    const rest = p.data.subarray(le);
    const tail = rest.length > 0 ? sw(0x6100 | (rest.length >= 256 ? 0 : rest.length)) : p.sw;
    this.pending = rest.length > 0 ? { data: rest, sw: p.sw } : undefined;
    return Uint8Array.from([...out, ...tail]);
  }
}

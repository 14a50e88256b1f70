/**
 * One command APDU through a PC/SC reader, with the procedure-byte work
 * done so that callers see complete responses (card-transport.ts: "T=0
 * procedure bytes are handled by the transport").
 *
 * - Extended APDUs (ISO 7816-4 §5.1) go out only under T=1 to a card whose
 *   ATR announces extended Lc/Le (atr.ts); otherwise they reject
 *   'UNSUPPORTED' before anything is sent. T=0 cannot carry them at all
 *   (ISO 7816-3 §12.1: its TPDU has one length byte, P3).
 * - Under T=0 a case 4 command goes out as case 3, without Le (ISO 7816-3
 *   §12.2.5, case 4S: the C-TPDU carries Lc and data only); the card then
 *   offers its data with 61xx.
 * - 61xx (ISO 7816-4 §5.6, "SW2 encodes the number of data bytes still
 *   available"): GET RESPONSE (00 C0 00 00 xx, on the command's logical
 *   channel) until another status word; the data is concatenated and the
 *   last status word closes the response. At most `maxGetResponse` rounds.
 * - 6Cxx ("wrong Le field; SW2 encodes the exact number of available data
 *   bytes"): the same command again with Le = xx, once.
 * Both are handled under T=1 as well: some T=1 cards answer that way too.
 */
import { parseCommand, type ParsedCommandApdu } from '../../card/apdu.js';
import { TransportError } from '../card-transport.js';

export interface ExchangeOptions {
  /** Negotiated protocol: 0 for T=0, 1 for T=1. */
  readonly protocol: 0 | 1;
  /** The card's ATR announces extended Lc/Le (atr.ts). */
  readonly cardExtendedLength: boolean;
  /** Cap on GET RESPONSE rounds for one command (default 256: 64 KB in 256-byte pieces). */
  readonly maxGetResponse?: number;
}

/** Sends one APDU as is; resolves with a response of at least 2 bytes. */
export type SendApdu = (apdu: Uint8Array) => Promise<Uint8Array>;

/** Largest response the transport assembles: 65536 data bytes + SW (ISO 7816-4 §5.1, Ne max). */
export const MAX_RESPONSE = 65538;

/** The parsed command, or undefined when it fits none of the cases (it goes out untouched; the card answers 6700). */
export function tryParse(apdu: Uint8Array): ParsedCommandApdu | undefined {
  try {
    return parseCommand(apdu);
  } catch {
    return undefined;
  }
}

/** The rule for extended APDUs: T=1 and a card that announces extended Lc/Le. */
export function extendedAllowed(opts: ExchangeOptions): boolean {
  return opts.protocol === 1 && opts.cardExtendedLength;
}

/** UNSUPPORTED for an extended APDU the rule refuses, else undefined. */
export function refusal(apdu: Uint8Array, opts: ExchangeOptions): TransportError | undefined {
  const parsed = tryParse(apdu);
  if (!parsed?.extended || extendedAllowed(opts)) return undefined;
  const why = opts.protocol === 0 ? 'T=0 carries short APDUs only' : "the card's ATR does not announce extended Lc/Le";
  return new TransportError('UNSUPPORTED', `extended APDU refused: ${why}`);
}

export async function exchangeApdu(send: SendApdu, apdu: Uint8Array, opts: ExchangeOptions): Promise<Uint8Array> {
  const refused = refusal(apdu, opts);
  if (refused) throw refused;
  const parsed = tryParse(apdu);
  const first = opts.protocol === 0 && parsed?.case === 4 && !parsed.extended ? apdu.subarray(0, apdu.length - 1) : apdu;
  let r = await send(first);
  if (sw1(r) === 0x6c && parsed !== undefined && !parsed.extended) r = await send(withLe(first, parsed, r[r.length - 1]!));
  if (sw1(r) !== 0x61) return r;
  const parts: Uint8Array[] = [r.subarray(0, r.length - 2)];
  let total = parts[0]!.length;
  const max = opts.maxGetResponse ?? 256;
  const cla = getResponseCla(apdu[0]!);
  for (let round = 1; sw1(r) === 0x61; round++) {
    if (round > max) throw new TransportError('IO', `card still offers data after ${max} GET RESPONSE rounds`);
    const le = r[r.length - 1]!;
    r = await send(Uint8Array.of(cla, 0xc0, 0x00, 0x00, le));
    // A card asked for more than it has answers 6Cxx with the exact count (ISO 7816-3 §10.3.4): ask again.
    if (sw1(r) === 0x6c) r = await send(Uint8Array.of(cla, 0xc0, 0x00, 0x00, r[r.length - 1]!));
    parts.push(r.subarray(0, r.length - 2));
    total += r.length - 2;
    if (total + 2 > MAX_RESPONSE) throw new TransportError('IO', `response longer than ${MAX_RESPONSE - 2} data bytes`);
  }
  const out = new Uint8Array(total + 2);
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  out.set(r.subarray(r.length - 2), off);
  return out;
}

function sw1(r: Uint8Array): number {
  return r[r.length - 2]!;
}

/** `sent` with its Le set to `le` (short form; Le appended to a case 1 or 3 command). */
function withLe(sent: Uint8Array, parsed: ParsedCommandApdu, le: number): Uint8Array {
  const hasLe = sent.length === 5 || (parsed.case === 4 && sent.length === apduLengthCase4(parsed));
  const body = hasLe ? sent.subarray(0, sent.length - 1) : sent;
  const out = new Uint8Array(body.length + 1);
  out.set(body);
  out[body.length] = le;
  return out;
}

function apduLengthCase4(parsed: ParsedCommandApdu): number {
  return 6 + parsed.data.length;
}

/**
 * CLA of GET RESPONSE: interindustry, on the command's logical channel
 * (ISO 7816-4 §5.4.1: channels 0-3 in b2-b1 of a first interindustry CLA,
 * 4-19 in b4-b1 of a further one, 0x40 + n - 4). A proprietary CLA (b8 set,
 * GlobalPlatform's 80/84) encodes the channel the same way.
 */
export function getResponseCla(cla: number): number {
  return (cla & 0x40) !== 0 ? 0x40 | (cla & 0x0f) : cla & 0x03;
}

/**
 * Validation of `cardline sim card` options, in one place: every bad value
 * gets a UsageError naming the option and what is wrong with it (lengths,
 * ranges; never the key bytes themselves).
 */
import { zeroize } from '../../card/bytes.js';
import { UsageError, type ParsedOptions } from '../command.js';

export interface SimCardArgs {
  host: string;
  port: number;
  /** Static keys given directly: ENC, MAC, DEK (equal lengths, 16/24/32 bytes). */
  keys?: { enc: Uint8Array; mac: Uint8Array; dek: Uint8Array };
  /** Master key (KMC) for KDF3 diversification: 16 or 32 bytes. */
  master?: Uint8Array;
  kvn?: number;
  i?: 0x60 | 0x70;
  state?: string;
  /** Protocol the card answers with: T=1 (default) or T=0 (61xx / 6Cxx procedure bytes, hardware/sim/vpcd/t0-card.ts). */
  protocol?: 't0' | 't1';
}

export function parseSimCardArgs(o: ParsedOptions): SimCardArgs {
  const vpcd = str(o, 'vpcd');
  if (vpcd === undefined) throw new UsageError('--vpcd HOST:PORT is required');
  const { host, port } = parseHostPort(vpcd);
  const args: SimCardArgs = { host, port };
  const keys = str(o, 'keys');
  const master = str(o, 'master');
  if (keys !== undefined && master !== undefined) {
    throw new UsageError('--keys and --master are exclusive: give the keys, or the master key they are derived from');
  }
  const kvn = str(o, 'kvn');
  if (kvn !== undefined) args.kvn = parseKvn(kvn);
  const i = str(o, 'i');
  if (i !== undefined) args.i = parseI(i);
  const protocol = str(o, 'protocol');
  if (protocol !== undefined) args.protocol = parseProtocol(protocol);
  const state = str(o, 'state');
  if (state !== undefined) {
    if (state.trim() === '') throw new UsageError('--state: empty file name');
    args.state = state;
  }
  // Keys last: once one is parsed, no later usage error can leave it behind un-wiped.
  if (keys !== undefined) args.keys = parseKeys(keys);
  if (master !== undefined) {
    const kmc = parseHex('--master', master);
    if (kmc.length !== 16 && kmc.length !== 32) {
      zeroize(kmc);
      throw new UsageError(`--master: a KMC of ${kmc.length} bytes; KDF3 takes 16 (AES-128) or 32 (AES-256)`);
    }
    args.master = kmc;
  }
  return args;
}

function str(o: ParsedOptions, name: string): string | undefined {
  const v = o[name];
  return typeof v === 'string' ? v : undefined;
}

/** HOST:PORT, with IPv6 hosts in brackets ([::1]:35963). */
export function parseHostPort(text: string): { host: string; port: number } {
  const m = /^\[([^\]]+)\]:([^:]*)$/.exec(text) ?? /^([^:[\]]+):([^:]*)$/.exec(text);
  if (!m) throw new UsageError(`--vpcd: '${text}' is not HOST:PORT (IPv6 as [::1]:PORT)`);
  const host = m[1]!;
  const portText = m[2]!;
  if (!/^\d{1,5}$/.test(portText)) throw new UsageError(`--vpcd: port '${portText}' is not a number`);
  const port = Number(portText);
  if (port < 1 || port > 65535) throw new UsageError(`--vpcd: port ${port} is out of range (1..65535)`);
  return { host, port };
}

function parseHex(option: string, text: string): Uint8Array {
  if (text.length === 0) throw new UsageError(`${option}: empty key`);
  if (!/^[0-9a-fA-F]*$/.test(text)) throw new UsageError(`${option}: not hex (only 0-9, A-F)`);
  if (text.length % 2 !== 0) throw new UsageError(`${option}: odd number of hex digits (${text.length})`);
  return Uint8Array.from(text.match(/../g)!.map((b) => parseInt(b, 16)));
}

function parseKeys(text: string): { enc: Uint8Array; mac: Uint8Array; dek: Uint8Array } {
  const parts = text.split(':');
  if (parts.length !== 3) throw new UsageError(`--keys: expected ENC:MAC:DEK (3 keys separated by ':'), got ${parts.length}`);
  const names = ['ENC', 'MAC', 'DEK'] as const;
  const parsed: Uint8Array[] = [];
  try {
    parts.forEach((p, k) => {
      const key = parseHex(`--keys ${names[k]!}`, p);
      parsed.push(key);
      if (key.length !== 16 && key.length !== 24 && key.length !== 32) {
        throw new UsageError(`--keys ${names[k]!}: ${key.length} bytes; an AES key is 16, 24 or 32 bytes`);
      }
    });
    const [enc, mac, dek] = parsed as [Uint8Array, Uint8Array, Uint8Array];
    if (enc.length !== mac.length || mac.length !== dek.length) {
      throw new UsageError(`--keys: ENC, MAC and DEK must have the same length (got ${enc.length}, ${mac.length}, ${dek.length} bytes)`);
    }
    return { enc, mac, dek };
  } catch (e) {
    // The keys already parsed are the caller's secrets too: do not leave them behind.
    zeroize(...parsed);
    throw e;
  }
}

/** KVN 1..127 (GPC v2.3.1 §11.1.8: 01..7F for keys of security domains), decimal or 0x-hex. */
function parseKvn(text: string): number {
  let n: number;
  if (/^0x[0-9a-fA-F]{1,2}$/.test(text)) n = parseInt(text.slice(2), 16);
  else if (/^\d{1,3}$/.test(text)) n = Number(text);
  else throw new UsageError(`--kvn: '${text}' is not a number (decimal, or hex as 0x30)`);
  if (n < 1 || n > 127) throw new UsageError(`--kvn: ${n} is out of range (1..127)`);
  return n;
}

/** i = 60 (random challenge) or 70 (pseudo-random, with sequence counter), written in hex (GPC Amd D §5.1). */
function parseI(text: string): 0x60 | 0x70 {
  const t = text.toLowerCase().replace(/^0x/, '');
  if (t === '60') return 0x60;
  if (t === '70') return 0x70;
  throw new UsageError(`--i: '${text}' is not supported; use 60 or 70`);
}

/** --protocol t0|t1 (also T=0, T=1, 0, 1). */
function parseProtocol(text: string): 't0' | 't1' {
  const t = text.toLowerCase().replace(/^t=?/, '');
  if (t === '0') return 't0';
  if (t === '1') return 't1';
  throw new UsageError(`--protocol: '${text}' is not supported; use t0 or t1`);
}

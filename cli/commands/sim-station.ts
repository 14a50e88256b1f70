/**
 * `cardline sim station init|status`: make a simulated card dispenser (a
 * hopper of factory-fresh cards and a reader identity) in a directory, and
 * show where its cards are. The kiosk and the demo then open the same
 * directory (hardware/sim/sim-station.ts, docs/sim-card.md).
 */
import { readFile, stat } from 'node:fs/promises';
import { hex, zeroize } from '../../card/bytes.js';
import { SimStation } from '../../hardware/sim/sim-station.js';
import { UsageError, type Command, type CommandContext, type ParsedOptions } from '../command.js';

/** A key file holds 32 or 64 hex digits and maybe a line end; anything this large is not one. */
const MAX_KEY_FILE_BYTES = 1024;

export const simStationInitCommand: Command = {
  path: ['sim', 'station', 'init'],
  summary: 'Make a simulated card dispenser: a hopper of blank cards and a reader key',
  usage: 'sim station init DIR --cards N --master-key-file FILE [--serial-prefix HEX] [--json]',
  description: `
DIR must be empty or absent. It gets N factory-fresh cards in DIR/hopper/, each
with ISD keys diversified (KDF3) from the stock master key in FILE and the
card's own KDD, and a new Ed25519 reader key (DIR/reader.key, mode 0600;
DIR/reader.pub). FILE holds the master key as hex: 16 bytes (AES-128) or 32
(AES-256). The key is used to make the cards and stored nowhere.

Serials are the prefix (1..6 bytes of hex, default CA4D0000) followed by a
4-byte counter from 1. Prints the reader's id and public key (for the reader
registry) and the range of serials; never a key.

These cards are in no registered batch, so a center refuses to issue onto
them (card-not-in-stock): they are for card-level tests ('card demo',
counterfeit cards). Stock for a kiosk comes from 'cardline stock prepare'
and 'cardline center stock register' (docs/provisioning.md §6).`,
  options: {
    cards: { type: 'string', arg: 'N', description: 'Number of cards in the hopper, 1..100000 (required)' },
    'master-key-file': { type: 'string', arg: 'FILE', description: 'File holding the stock master key, hex (required)' },
    'serial-prefix': { type: 'string', arg: 'HEX', description: 'Serial prefix, 1..6 bytes of hex' },
    json: { type: 'boolean', description: 'Print one JSON object instead of text' },
  },
  positionals: ['DIR'],
  run: runInit,
};

export const simStationStatusCommand: Command = {
  path: ['sim', 'station', 'status'],
  summary: 'Show how many cards a simulated dispenser has in each place',
  usage: 'sim station status DIR [--json]',
  description: `
Opens the station in DIR (validating its files and reader key) and prints the
cards in the hopper, at the IC station, at the gate (ejected) and in the
reject bin (captured).`,
  options: {
    json: { type: 'boolean', description: 'Print one JSON object instead of text' },
  },
  positionals: ['DIR'],
  run: runStatus,
};

async function runInit(ctx: CommandContext, opts: ParsedOptions, positionals: string[]): Promise<number> {
  const dir = dirArg(positionals);
  const count = parseCount(opts.cards);
  const serialPrefix = parsePrefix(opts['serial-prefix']);
  const kmc = await readMasterKey(opts['master-key-file']);
  let station: SimStation;
  try {
    station = await SimStation.create({
      dir,
      count,
      stockMasterKey: kmc,
      ...(serialPrefix !== undefined ? { serialPrefix } : {}),
      clock: ctx.clock,
      logger: ctx.logger,
    });
  } finally {
    zeroize(kmc);
  }
  try {
    const serials = await station.cards('hopper');
    const info = { dir, id: station.identity.id, publicKey: station.identity.publicKeyHex, cards: serials.length, first: serials[0], last: serials.at(-1) };
    if (opts.json === true) ctx.out(`${JSON.stringify(info)}\n`);
    else {
      ctx.out(`sim station ${info.id} created in ${dir}\n`);
      ctx.out(`reader id   ${info.id}\npublic key  ${info.publicKey}\n`);
      ctx.out(`hopper      ${info.cards} cards, serials ${info.first} .. ${info.last}\n`);
    }
    return 0;
  } finally {
    await station.close();
  }
}

async function runStatus(ctx: CommandContext, opts: ParsedOptions, positionals: string[]): Promise<number> {
  const dir = dirArg(positionals);
  const station = await SimStation.open(dir, { clock: ctx.clock, logger: ctx.logger });
  try {
    const [hopper, ic, gate, reject] = await Promise.all([station.cards('hopper'), station.cards('ic'), station.cards('gate'), station.cards('reject')]);
    const { hopper: level } = await station.status();
    const info = { dir, id: station.identity.id, publicKey: station.identity.publicKeyHex, hopper: hopper.length, hopperLevel: level, ic, gate: gate.length, reject: reject.length };
    if (opts.json === true) ctx.out(`${JSON.stringify(info)}\n`);
    else {
      ctx.out(`sim station ${info.id} in ${dir}\n`);
      ctx.out(`hopper  ${info.hopper} (${level})\n`);
      ctx.out(`ic      ${ic.length}${ic.length > 0 ? ` (${ic.join(', ')})` : ''}\n`);
      ctx.out(`gate    ${info.gate}\nreject  ${info.reject}\n`);
    }
    return 0;
  } finally {
    await station.close();
  }
}

function dirArg(positionals: string[]): string {
  const dir = positionals[0];
  if (dir === undefined || dir.trim() === '') throw new UsageError('DIR is required (the station directory)');
  return dir;
}

function parseCount(v: ParsedOptions[string]): number {
  if (typeof v !== 'string') throw new UsageError('--cards N is required');
  if (!/^\d{1,6}$/.test(v) || Number(v) < 1 || Number(v) > 100_000) throw new UsageError(`--cards: '${v}' is not a number of cards in 1..100000`);
  return Number(v);
}

function parsePrefix(v: ParsedOptions[string]): string | undefined {
  if (typeof v !== 'string') return undefined;
  if (!/^(?:[0-9A-Fa-f]{2}){1,6}$/.test(v)) throw new UsageError('--serial-prefix: 1..6 bytes of hex (2..12 hex digits)');
  return v.toUpperCase();
}

/** Reads the master key file: hex, 16 or 32 bytes. Errors name the file and what is wrong, never its content. */
async function readMasterKey(v: ParsedOptions[string]): Promise<Uint8Array> {
  if (typeof v !== 'string' || v === '') throw new UsageError('--master-key-file FILE is required');
  let text: string;
  try {
    const st = await stat(v);
    if (!st.isFile()) throw new UsageError(`--master-key-file: ${v} is not a file`);
    if (st.size > MAX_KEY_FILE_BYTES) throw new UsageError(`--master-key-file: ${v} is ${st.size} bytes; a key file holds 32 or 64 hex digits`);
    text = await readFile(v, 'utf8');
  } catch (e) {
    if (e instanceof UsageError) throw e;
    throw new UsageError(`--master-key-file: cannot read ${v} (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  const clean = text.trim();
  if (!/^[0-9A-Fa-f]*$/.test(clean)) throw new UsageError(`--master-key-file: ${v} is not hex (only 0-9, A-F and a final line end)`);
  if (clean.length !== 32 && clean.length !== 64) {
    throw new UsageError(`--master-key-file: ${v} holds ${clean.length} hex digits; a master key is 16 bytes (32 digits) or 32 bytes (64 digits)`);
  }
  return hex(clean);
}

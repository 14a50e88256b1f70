/**
 * `cardline stock prepare`: the 0th and 1st issuance of a batch of cards on
 * a simulated station (docs/provisioning.md §6). The preparation itself
 * (provisioning/stock) runs over a card transport and would drive a card in
 * a PC/SC reader the same way; this command offers the simulated station's
 * card maker only.
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { zeroize } from '../../card/bytes.js';
import { BATCH_ID_PATTERN } from '../../card/stock/product-data.js';
import { PROFILES } from '../../card/script/profile.js';
import { KeyFileError, readKeyFile } from '../../common/key-files.js';
import { STATION_FILE } from '../../hardware/sim/station-fs.js';
import { refuseExistingManifest, writeManifest } from '../../provisioning/stock/index.js';
import { UsageError, type Command, type CommandContext, type ParsedOptions } from '../command.js';
import { cryptoRandom } from '../random.js';
import { required, scripted, type Outcome } from './stock-output.js';
import { addStockToStation, createStockedStation, type SimStockResult } from './stock-sim.js';

export const stockPrepareCommand: Command = {
  path: ['stock', 'prepare'],
  summary: 'Pre-personalize a batch of cards (ISD keys from the stock master key, product structure, SECURED) into a simulated station',
  usage: 'stock prepare --station DIR --count N --batch ID [--product cardline-basic] (--stock-key FILE | --pki DIR) [--serial-prefix HEX] [--json]',
  description: `
The card maker makes N factory cards (transport key: the GlobalPlatform test
key 40..4F at KVN 30, life cycle OP_READY). Each is prepared over APDUs:
SCP03 with the transport key, PUT KEY replacing it with the ISD keys
diversified (KDF3) from the stock master key, PUT KEY adding the product's
application key set (KVN 20), the product data in EF 5001 under DF 5000,
SET STATUS INITIALIZED then SECURED; then checked in a fresh session. The
prepared cards go into DIR/hopper/; a card that fails is set aside in
DIR/reject/ and reported with its reason. The manifest of the prepared cards
(serial and KDD) is written to DIR/batches/<ID>.json, for 'cardline center
stock register'. A batch ID is prepared once: an existing manifest is refused.

DIR is a simulated station ('sim station init'), or an empty or absent
directory, where a new station is made. Only simulated stations are
supported here; the preparation itself runs over any card reader.

The stock master key (16 or 32 bytes, hex, mode 0600) is read from
--stock-key FILE, or from <pki>/center/issuer-master.key with --pki DIR; it
is zeroized after use and stored nowhere.
Exit codes: 0 done (some cards may be set aside: see the report), 1 refused
or failed (no card prepared, batch exists, bad key file), 2 usage.`,
  options: {
    station: { type: 'string', arg: 'DIR', description: 'The simulated station (made if DIR is empty or absent)' },
    count: { type: 'string', arg: 'N', description: 'Number of cards to make and prepare, 1..100000' },
    batch: { type: 'string', arg: 'ID', description: 'Batch ID, 1..64 of [A-Za-z0-9._-]' },
    product: { type: 'string', arg: 'NAME', description: 'Card product (profile)', default: 'cardline-basic' },
    'stock-key': { type: 'string', arg: 'FILE', description: 'The stock master key, hex (default <pki>/center/issuer-master.key)' },
    pki: { type: 'string', arg: 'DIR', description: 'PKI directory whose center/issuer-master.key is the stock master key' },
    'serial-prefix': { type: 'string', arg: 'HEX', description: 'Serial prefix of the new cards, 1..6 bytes of hex (default CA4D0000)' },
    json: { type: 'boolean', description: 'Print one JSON object instead of text' },
  },
  run: runPrepare,
};

function parseArgs(opts: ParsedOptions): { dir: string; count: number; batch: string; product: string; keyFile: string; serialPrefix?: string } {
  const dir = required(opts, 'station');
  const countText = required(opts, 'count');
  const count = /^\d{1,6}$/.test(countText) ? Number(countText) : NaN;
  if (!(count >= 1 && count <= 100_000)) throw new UsageError('--count must be 1..100000');
  const batch = required(opts, 'batch');
  if (!BATCH_ID_PATTERN.test(batch)) throw new UsageError('--batch: 1..64 of [A-Za-z0-9._-], starting with a letter or digit');
  const product = typeof opts.product === 'string' ? opts.product : 'cardline-basic';
  if (!Object.prototype.hasOwnProperty.call(PROFILES, product)) throw new UsageError(`--product: one of ${Object.keys(PROFILES).join(', ')}`);
  const keyOpt = opts['stock-key'];
  const pki = opts.pki;
  if (typeof keyOpt === 'string' && typeof pki === 'string') throw new UsageError('give --stock-key or --pki, not both');
  const keyFile = typeof keyOpt === 'string' ? keyOpt : typeof pki === 'string' ? join(pki, 'center', 'issuer-master.key') : undefined;
  if (keyFile === undefined) throw new UsageError('--stock-key FILE or --pki DIR is required');
  const prefix = opts['serial-prefix'];
  if (prefix !== undefined && (typeof prefix !== 'string' || !/^([0-9A-Fa-f]{2}){1,6}$/.test(prefix))) throw new UsageError('--serial-prefix: 1..6 bytes of hex');
  return { dir, count, batch, product, keyFile, ...(typeof prefix === 'string' ? { serialPrefix: prefix.toUpperCase() } : {}) };
}

/** A secret key file of 16 or 32 bytes (hex). */
async function readStockKey(path: string): Promise<Uint8Array> {
  try {
    return await readKeyFile(path, 16, { secret: true });
  } catch (e) {
    if (!(e instanceof KeyFileError) || e.code !== 'INVALID') throw e;
    return readKeyFile(path, 32, { secret: true });
  }
}

async function isStation(dir: string): Promise<boolean> {
  const names = await readdir(dir).catch(() => [] as string[]);
  return names.includes(STATION_FILE);
}

async function runPrepare(ctx: CommandContext, opts: ParsedOptions): Promise<number> {
  const a = parseArgs(opts);
  return scripted(ctx, 'stock prepare', opts.json === true, async (): Promise<Outcome> => {
    await refuseExistingManifest(a.dir, a.batch);
    const kmc = await readStockKey(a.keyFile);
    const stock = { count: a.count, stockMasterKey: kmc, batch: a.batch, product: a.product, clock: ctx.clock, random: cryptoRandom, logger: ctx.logger, ...(a.serialPrefix !== undefined ? { serialPrefix: a.serialPrefix } : {}) };
    let result: SimStockResult;
    let created: { id: string; publicKey: string } | undefined;
    try {
      if (await isStation(a.dir)) result = await addStockToStation(a.dir, stock);
      else {
        const made = await createStockedStation(a.dir, stock);
        created = { id: made.station.identity.id, publicKey: made.station.identity.publicKeyHex };
        await made.station.close();
        result = made;
      }
    } finally {
      zeroize(kmc);
    }
    const path = await writeManifest(a.dir, result.manifest);
    return describe(a.dir, path, result, created);
  });
}

function describe(dir: string, path: string, r: SimStockResult, created: { id: string; publicKey: string } | undefined): Outcome {
  const m = r.manifest;
  const lines = [`batch ${m.batch} (${m.product}): ${m.cards.length} card(s) prepared into ${join(dir, 'hopper')}, life cycle SECURED`];
  if (created) lines.push(`new station ${created.id} in ${dir}, reader public key ${created.publicKey}`);
  for (const f of r.failures) lines.push(`set aside in reject/: ${f.serial} (${f.reason} at ${f.step}${f.sw !== undefined ? `, SW ${f.sw}` : ''})`);
  lines.push(`manifest ${path}: register it with 'cardline center stock register --manifest ${path}'`);
  return {
    text: `${lines.join('\n')}\n`,
    json: {
      batch: m.batch,
      product: m.product,
      station: dir,
      manifest: path,
      prepared: m.cards.length,
      first: m.cards[0]?.serial,
      last: m.cards.at(-1)?.serial,
      setAside: r.failures,
      ...(created ? { created: true, reader: created } : { created: false }),
    },
  };
}

/**
 * `cardline center stock register|list|withdraw`: the card stock the center
 * issues onto (docs/provisioning.md §6), in the center's store, offline like
 * the other admin commands (cli/center/offline.ts). Each change is one
 * transaction with its audit entry.
 */
import { readFile, stat } from 'node:fs/promises';
import { isStockRegistryError, listBatches, registerBatch, withdrawBatch } from '../../center/stock.js';
import { ManifestError, parseManifest } from '../../card/stock/manifest.js';
import { type Command, type CommandContext, type ParsedOptions } from '../command.js';
import { withOfflineCenter } from '../center/offline.js';
import { pkiDir, storeLocation, STORE_OPTIONS } from '../center/store-option.js';
import { required, scripted } from './stock-output.js';

/** 100 000 cards of ~70 bytes of JSON each fit in 8 MB. */
const MAX_MANIFEST_BYTES = 16 * 1024 * 1024;
const JSON_OPTION = { json: { type: 'boolean' as const, description: 'Print one JSON object instead of text' } };

export const centerStockRegisterCommand: Command = {
  path: ['center', 'stock', 'register'],
  summary: "Register a prepared batch of cards (its manifest) so the center issues onto them",
  usage: 'center stock register --manifest FILE --pki DIR (--data DIR | --database URL) [--json]',
  description: `
Reads the batch manifest 'cardline stock prepare' wrote (DIR/batches/<ID>.json)
and registers the batch and every card's KDD in one transaction, audited
'stock.registered'. A malformed manifest, a batch ID registered already or a
card registered already (in any batch) is refused and nothing is registered.
Exit codes: 0 done, 1 refused, 2 usage, 3 the store is locked (a center runs
on it): retry later.`,
  options: { ...STORE_OPTIONS, manifest: { type: 'string', arg: 'FILE', description: 'The batch manifest (JSON)' }, ...JSON_OPTION },
  run: (ctx: CommandContext, opts: ParsedOptions): Promise<number> => {
    const file = required(opts, 'manifest');
    const pki = pkiDir(opts);
    const store = storeLocation(opts);
    return scripted(ctx, 'center stock register', opts.json === true, async () => {
      const { size } = await stat(file);
      if (size > MAX_MANIFEST_BYTES) throw new ManifestError(`${file} is ${size} bytes (a manifest is at most ${MAX_MANIFEST_BYTES})`);
      const manifest = parseManifest(await readFile(file, 'utf8'));
      const count = await withOfflineCenter(ctx, pki, store, (c) => registerBatch({ db: c.db, audit: c.audit, clock: ctx.clock }, manifest));
      return { text: `batch ${manifest.batch} (${manifest.product}) registered: ${count} card(s)\n`, json: { batch: manifest.batch, product: manifest.product, cards: count } };
    });
  },
};

export const centerStockListCommand: Command = {
  path: ['center', 'stock', 'list'],
  summary: 'List the registered card batches',
  usage: 'center stock list --pki DIR (--data DIR | --database URL) [--json]',
  options: { ...STORE_OPTIONS, ...JSON_OPTION },
  run: (ctx: CommandContext, opts: ParsedOptions): Promise<number> => {
    const pki = pkiDir(opts);
    const store = storeLocation(opts);
    return scripted(ctx, 'center stock list', opts.json === true, async () => {
      const batches = await withOfflineCenter(ctx, pki, store, (c) => listBatches(c.db));
      const rows = batches.map((b) => ({ batch: b.id, product: b.product, cards: b.cardCount, status: b.status, registeredAt: b.registeredAt.toISOString() }));
      const text = rows.length === 0 ? 'no batch registered\n' : rows.map((r) => `${r.batch}\t${r.product}\t${r.cards} cards\t${r.status}\t${r.registeredAt}\n`).join('');
      return { text, json: { batches: rows } };
    });
  },
};

export const centerStockWithdrawCommand: Command = {
  path: ['center', 'stock', 'withdraw'],
  summary: 'Withdraw a batch: its cards are refused from now on; a batch withdrawn already is left as it is (exit 0)',
  usage: 'center stock withdraw --batch ID --pki DIR (--data DIR | --database URL) [--reason TEXT] [--json]',
  options: {
    ...STORE_OPTIONS,
    batch: { type: 'string', arg: 'ID', description: 'Batch ID' },
    reason: { type: 'string', arg: 'TEXT', description: 'Why (recorded in the audit log)', default: 'operator' },
    ...JSON_OPTION,
  },
  run: (ctx: CommandContext, opts: ParsedOptions): Promise<number> => {
    const batch = required(opts, 'batch');
    const reason = typeof opts.reason === 'string' ? opts.reason.slice(0, 200) : 'operator';
    const pki = pkiDir(opts);
    const store = storeLocation(opts);
    return scripted(ctx, 'center stock withdraw', opts.json === true, async () => {
      const changed = await withOfflineCenter(ctx, pki, store, async (c) => {
        try {
          await withdrawBatch({ db: c.db, audit: c.audit, clock: ctx.clock }, batch, reason);
          return true;
        } catch (e) {
          if (isStockRegistryError(e, 'BATCH_UNCHANGED')) return false;
          throw e;
        }
      });
      return { text: changed ? `batch ${batch} withdrawn\n` : `batch ${batch} was already withdrawn (nothing changed)\n`, json: { batch, withdrawn: true, changed } };
    });
  },
};

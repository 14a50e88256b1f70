/**
 * `cardline center kiosks mode`: switches a kiosk between relay mode (the
 * default: the kiosk relays the center's secured script and never sees a
 * key or the plain writing data) and sealed mode (the center seals each
 * card's keys and data to the kiosk's X25519 key; the kiosk opens them in
 * its black box and runs SCP03 itself). DESIGN §3; docs/sealed-mode.md.
 */
import { join } from 'node:path';
import { KeyFileError, readKeyFile } from '../../common/key-files.js';
import { setKioskMode, setSealingKey } from '../../center/registry.js';
import { UsageError, type Command, type CommandContext, type ParsedOptions } from '../command.js';
import { withOfflineCenter } from '../center/offline.js';
import { pkiDir, storeLocation, STORE_OPTIONS } from '../center/store-option.js';

export const kioskModeCommand: Command = {
  path: ['center', 'kiosks', 'mode'],
  summary: "Set a kiosk's issuance mode: relay (default) or sealed",
  usage: 'center kiosks mode --pki DIR --kiosk ID --mode relay|sealed [--sealing-key-file FILE] (--data DIR | --database URL)',
  description: `
relay   the center builds the whole secured script; the kiosk relays it to
        the card and never holds a card key or the plain writing data.
sealed  the center seals the card's static keys and the writing data to the
        kiosk's X25519 sealing key; the kiosk opens the package in memory
        (its key store: TPM or sealed file), builds and runs the script
        itself, and zeroizes it all. Weaker than relay (the kiosk sees
        plaintext), so it is opt-in per kiosk.

Sealed mode needs the kiosk's sealing public key: registered with the kiosk
(<pki>/kiosks/<ID>/sealing.pub), or given here with --sealing-key-file (64 hex
digits). The change applies from the kiosk's next script; a job already
writing finishes in its mode. Audited as kiosk.mode (and kiosk.sealing-key).`,
  options: {
    ...STORE_OPTIONS,
    kiosk: { type: 'string', arg: 'ID', description: 'Kiosk ID' },
    mode: { type: 'string', arg: 'MODE', description: 'relay or sealed' },
    'sealing-key-file': { type: 'string', arg: 'FILE', description: "The kiosk's X25519 sealing public key, 64 hex digits (default: none; the registered one is used)" },
  },
  run: async (ctx: CommandContext, opts: ParsedOptions): Promise<number> => {
    const id = typeof opts.kiosk === 'string' && opts.kiosk !== '' ? opts.kiosk : undefined;
    if (id === undefined) throw new UsageError('--kiosk is required');
    const mode = opts.mode;
    if (mode !== 'relay' && mode !== 'sealed') throw new UsageError('--mode must be relay or sealed');
    const keyFile = typeof opts['sealing-key-file'] === 'string' ? opts['sealing-key-file'] : undefined;
    const key = keyFile === undefined ? undefined : await readKeyFile(keyFile, 32);
    await withOfflineCenter(ctx, pkiDir(opts), storeLocation(opts), async (c) => {
      const deps = { db: c.db, audit: c.audit, clock: ctx.clock };
      if (key !== undefined) await setSealingKey(deps, id, key);
      await setKioskMode(deps, id, mode);
    });
    ctx.out(`kiosk ${id}: ${mode} mode\n`);
    return 0;
  },
};

/** The kiosk's sealing public key beside its certificate in a PKI directory, when it has one. */
export async function sealingKeyOf(pki: string, id: string): Promise<Uint8Array | undefined> {
  try {
    return await readKeyFile(join(pki, 'kiosks', id, 'sealing.pub'), 32);
  } catch (e) {
    if (e instanceof KeyFileError && e.code === 'NOT_FOUND') return undefined;
    throw e;
  }
}

/**
 * `cardline hw list`: the card readers, dispensers and keypads attached
 * here, each with its identity and its authentication status against the
 * kiosk's center-signed reader registry (kiosk/reader-auth.ts — the same
 * check the agent makes at start).
 *
 * PC/SC readers and HID keypads are found by enumeration. Serial lines
 * cannot be probed blindly (a command to the wrong device could move a
 * motor), so a dispenser is listed only when `--dispenser SPEC` names it.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../../common/log.js';
import { nodeHidApi } from '../../hardware/hid/hid-api.js';
import { listKeypads, type KeypadInfo } from '../../hardware/hid/list-keypads.js';
import { openStation } from '../../hardware/open-station.js';
import { listPcscReaders, PcscReaderIdentity, type PcscReaderInfo } from '../../hardware/pcsc/index.js';
import { parseStationSpec } from '../../hardware/station-spec.js';
import type { ReaderIdentity } from '../../hardware/station.js';
import { loadPublicIdentity } from '../../kiosk/identity.js';
import { authenticateReader } from '../../kiosk/reader-auth.js';
import { verifyRegistry, type ReaderRegistry, type SignedRegistry } from '../../wire/registry.js';
import { UsageError, type Command, type CommandContext, type ParsedOptions } from '../command.js';
import { cryptoRandom } from '../random.js';
import { authLine, hwJson, type HwEntry } from './hw-report.js';

export interface HwListDeps {
  pcsc(timeoutMs: number): Promise<PcscReaderInfo[]>;
  keypads(): Promise<KeypadInfo[]>;
}

const realDeps: HwListDeps = {
  pcsc: (timeoutMs) => listPcscReaders({ timeoutMs }),
  keypads: () => listKeypads(nodeHidApi()),
};

export function makeHwListCommand(deps: HwListDeps): Command {
  return {
    path: ['hw', 'list'],
    summary: 'List attached readers, dispensers and keypads with their authentication status',
    usage: 'hw list [--identity DIR] [--registry FILE] [--dispenser SPEC] [--json]',
    description: `
Lists the PC/SC readers (through pcscd) and HID keypads attached here, and
the serial dispenser named by --dispenser, each with its registry ID, what
it reports about itself (vendor, product, serial) and whether the kiosk
would use it: the device is authenticated against the reader registry the
center signed for this kiosk, by challenge-response when the registry holds
a key for it, by identity match otherwise.

The registry is read from --registry FILE, or <identity>/registry.json (the
kiosk keeps the last registry it verified there); it is verified with the
center's key from the identity directory before use. Without --identity,
devices are listed with the status 'not checked'.

Exit code 0 when every device listed is authenticated (or not checked), 1
when one is refused or the named dispenser does not answer, 2 for bad
arguments.`,
    options: {
      identity: { type: 'string', arg: 'DIR', description: "The kiosk's identity directory (center key, kiosk ID)" },
      registry: { type: 'string', arg: 'FILE', description: 'The signed reader registry (default <identity>/registry.json)' },
      dispenser: { type: 'string', arg: 'SPEC', description: 'A serial dispenser to probe, serial:PATH[@BAUD]' },
      'pcsc-timeout': { type: 'string', arg: 'MS', description: 'How long to wait for pcscd (default 3000)' },
      json: { type: 'boolean', description: 'One JSON document on stdout' },
    },
    run: (ctx, opts) => runHwList(ctx, opts, deps),
  };
}

export const hwListCommand: Command = makeHwListCommand(realDeps);

interface Checker {
  check(device: ReaderIdentity): Promise<string>;
}

async function registryChecker(opts: ParsedOptions, logger: Logger): Promise<Checker> {
  if (typeof opts.identity !== 'string') {
    if (typeof opts.registry === 'string') throw new UsageError('--registry needs --identity (the center key and the kiosk ID are in it)');
    return { check: () => Promise.resolve('not checked (no --identity)') };
  }
  // The public half only: listing devices never reads the kiosk's private keys.
  const { kioskId, centerPublicKey: centerKey } = await loadPublicIdentity(opts.identity);
  const file = typeof opts.registry === 'string' ? opts.registry : join(opts.identity, 'registry.json');
  let registry: ReaderRegistry | undefined;
  let why = '';
  try {
    registry = verifyRegistry(JSON.parse(await readFile(file, 'utf8')) as SignedRegistry, centerKey, kioskId);
  } catch (e) {
    why = (e as NodeJS.ErrnoException).code === 'ENOENT' ? `no registry at ${file}` : `registry refused: ${(e as Error).message}`;
  }
  return {
    check: async (device) => {
      if (registry === undefined) return `refused: no-registry (${why})`;
      return authLine(await authenticateReader(device, registry, kioskId, { random: cryptoRandom, logger }));
    },
  };
}

function pcscTimeout(opts: ParsedOptions): number {
  if (opts['pcsc-timeout'] === undefined) return 3000;
  const n = Number(opts['pcsc-timeout']);
  if (!Number.isInteger(n) || n < 100 || n > 60_000) throw new UsageError('--pcsc-timeout must be 100..60000 ms');
  return n;
}

async function runHwList(ctx: CommandContext, opts: ParsedOptions, deps: HwListDeps): Promise<number> {
  const timeoutMs = pcscTimeout(opts);
  let dispenserSpec;
  if (typeof opts.dispenser === 'string') {
    try {
      dispenserSpec = parseStationSpec(opts.dispenser);
    } catch (e) {
      throw new UsageError(`--dispenser: ${(e as Error).message}`);
    }
  }
  const checker = await registryChecker(opts, ctx.logger);
  const entries: HwEntry[] = [];
  const notes: string[] = [];
  let namedMissing = false;

  try {
    for (const r of await deps.pcsc(timeoutMs)) {
      const identity = new PcscReaderIdentity(r);
      entries.push({ class: 'reader', spec: `pcsc:${r.name}`, identity, state: r.cardPresent === true ? 'card present' : r.cardPresent === false ? 'empty' : 'unknown', auth: await checker.check(identity) });
    }
  } catch (e) {
    notes.push(`PC/SC: ${(e as Error).message}`);
  }
  if (dispenserSpec) {
    try {
      const station = await openStation(dispenserSpec, { clock: ctx.clock, logger: ctx.logger });
      try {
        const s = await station.status();
        const hopper = `hopper ${s.hopper}${s.hopperRemaining !== undefined ? ` (${s.hopperRemaining})` : ''}`;
        entries.push({ class: 'dispenser', spec: opts.dispenser as string, identity: station.identity, state: `${hopper}, ${s.cardAtStation ? 'card at IC station' : 'IC station empty'}`, auth: await checker.check(station.identity) });
      } finally {
        await station.close();
      }
    } catch (e) {
      notes.push(`dispenser ${opts.dispenser as string}: ${(e as Error).message}`);
      namedMissing = true;
    }
  }
  try {
    for (const k of await deps.keypads()) {
      const identity: ReaderIdentity = { id: k.id, kind: 'keypad', descriptor: k.descriptor, canSign: false, sign: () => Promise.resolve(undefined) };
      entries.push({ class: 'keypad', spec: k.spec, identity, state: k.path, auth: await checker.check(identity) });
    }
  } catch (e) {
    notes.push(`HID: ${(e as Error).message}`);
  }

  if (opts.json === true) ctx.out(`${JSON.stringify(hwJson(entries, notes), null, 2)}\n`);
  else {
    if (entries.length === 0) ctx.out('no readers, dispensers or keypads found\n');
    for (const e of entries) {
      const d = e.identity.descriptor;
      ctx.out(`${e.class.padEnd(9)} ${e.identity.id}  ${e.spec}\n`);
      ctx.out(`          ${d.vendor} / ${d.product} / serial ${d.serial ?? '(none)'}; ${e.state}; ${e.identity.canSign ? 'signs challenges' : 'no key'}\n`);
      ctx.out(`          ${e.auth}\n`);
    }
    for (const n of notes) ctx.out(`note: ${n}\n`);
  }
  return namedMissing || entries.some((e) => e.auth.startsWith('refused')) ? 1 : 0;
}

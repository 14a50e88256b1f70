/**
 * `cardline sim card`: runs one simulated card as the card side of a vpcd
 * virtual reader until killed (SIGINT/SIGTERM stop it cleanly, exit 0).
 * Any PC/SC client then sees it in pcscd's "Virtual PCD" reader.
 */
import { access } from 'node:fs/promises';
import { toHex, zeroize } from '../../card/bytes.js';
import { SimCard } from '../../hardware/sim/card/index.js';
import { T0Card } from '../../hardware/sim/vpcd/t0-card.js';
import { VpcdCardClient } from '../../hardware/sim/vpcd/vpcd-card.js';
import { UsageError, type Command, type CommandContext, type ParsedOptions } from '../command.js';
import { checkImageMatches } from './sim-card-image.js';
import { parseSimCardArgs, type SimCardArgs } from './sim-card-options.js';

export const simCardCommand: Command = {
  path: ['sim', 'card'],
  summary: 'Run one simulated card in a vpcd virtual reader (pcscd) until killed',
  usage: 'sim card --vpcd HOST:PORT [--keys ENC:MAC:DEK | --master KMC] [--kvn N] [--i 60|70] [--state FILE] [--protocol t0|t1]',
  description: `
The card connects to vpcd (vsmartcard's virtual reader inside pcscd; it listens
on 35963 by default) as the card side, and reconnects when pcscd restarts.

Keys of the Issuer Security Domain (SCP03, AES):
  --keys ENC:MAC:DEK   the static keys, hex, 16/24/32 bytes each (same length)
  --master KMC         a master key (16 or 32 bytes); the card's keys are
                       diversified from it and the card's KDD with KDF3
  neither              the GlobalPlatform test key 404142..4F for all three
--kvn sets the key version (1..127, default 30 hex = 48), --i the SCP03 i
parameter (60 or 70, default 70).

--state FILE keeps the card's EEPROM in FILE. If FILE does not exist it is
created from the options above. If it exists, the card in it is loaded and
already has its keys: key options may then only restate them (they are
compared with the image; a mismatch is refused). Without --state the card
lives in memory only.

--protocol t0 makes the card a T=0 card: its ATR offers T=0 only, a
response with data comes as 61xx (the data is fetched with GET RESPONSE,
00 C0 00 00 Le), and a case 2 command with the wrong Le is answered 6Cxx
with the right one. Default t1: the card answers every APDU directly.

Prints one line when connected. Keys are never printed or logged.`,
  options: {
    vpcd: { type: 'string', arg: 'HOST:PORT', description: 'Address of the vpcd reader to connect to (required)' },
    keys: { type: 'string', arg: 'ENC:MAC:DEK', description: 'ISD static keys, hex' },
    master: { type: 'string', arg: 'KMC', description: 'Master key to diversify the ISD keys from (KDF3), hex' },
    kvn: { type: 'string', arg: 'N', description: 'Key version number, 1..127' },
    i: { type: 'string', arg: '60|70', description: 'SCP03 i parameter' },
    state: { type: 'string', arg: 'FILE', description: 'EEPROM image file (created if missing)' },
    protocol: { type: 'string', arg: 't0|t1', description: 'Answer as a T=0 card (61xx/6Cxx, GET RESPONSE) or T=1 (default)' },
  },
  run: runSimCard,
};

async function runSimCard(ctx: CommandContext, opts: ParsedOptions): Promise<number> {
  const args = parseSimCardArgs(opts);
  const card = await openCard(ctx, args);
  if (ctx.signal.aborted) return 0;
  const endpoint = args.protocol === 't0' ? new T0Card(card) : card;
  const client = new VpcdCardClient({ host: args.host, port: args.port, card: endpoint, logger: ctx.logger, clock: ctx.clock });
  client.on('connected', () => {
    ctx.out(`sim card ${card.serial} connected to vpcd at ${hostPort(args)} (ATR ${toHex(endpoint.atr)})\n`);
  });
  client.start();
  await new Promise<void>((resolve) => ctx.signal.addEventListener('abort', () => resolve(), { once: true }));
  await client.stop();
  ctx.logger.info('sim card stopped', { serial: card.serial, apdus: client.apdusAnswered });
  return 0;
}

/** Opens (or creates) the card; the parsed keys are wiped on every path out. */
async function openCard(ctx: CommandContext, args: SimCardArgs): Promise<SimCard> {
  const logger = ctx.logger.child('sim-card');
  try {
    if (args.state !== undefined && (await exists(args.state))) {
      await checkImageMatches(args.state, args);
      wipe(args);
      return await SimCard.open({ statePath: args.state, logger, clock: ctx.clock });
    }
    return await SimCard.open({
      ...(args.state !== undefined ? { statePath: args.state } : {}),
      profile: profileOf(args),
      logger,
      clock: ctx.clock,
    });
  } finally {
    wipe(args);
  }
}

type Profile = NonNullable<Parameters<typeof SimCard.open>[0]['profile']>;

function profileOf(args: SimCardArgs): Profile {
  const p: Profile = {};
  if (args.kvn !== undefined) p.kvn = args.kvn;
  if (args.i !== undefined) p.i = args.i;
  // No copies here: the card's factory state copies the keys it keeps (and
  // keeps nothing of the master key), and wipe() clears the parsed ones after open.
  if (args.keys) p.keys = { enc: args.keys.enc, mac: args.keys.mac, dek: args.keys.dek, kvn: args.kvn ?? 0 };
  if (args.master) p.master = { kmc: args.master };
  return p;
}

function wipe(args: SimCardArgs): void {
  if (args.keys) zeroize(args.keys.enc, args.keys.mac, args.keys.dek);
  zeroize(args.master);
}

function hostPort(args: SimCardArgs): string {
  return args.host.includes(':') ? `[${args.host}]:${args.port}` : `${args.host}:${args.port}`;
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw new UsageError(`--state: cannot access ${path} (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
  }
}

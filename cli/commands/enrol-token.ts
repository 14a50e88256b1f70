/** `cardline center enrol-token`: a one-time enrolment token for one kiosk (docs/provisioning.md §2 step 1). */
import { userInfo } from 'node:os';
import { createEnrolmentToken, DEFAULT_TOKEN_TTL_MINUTES, MAX_TOKEN_TTL_MINUTES } from '../../center/enrol/tokens.js';
import { UsageError, type Command, type CommandContext, type ParsedOptions } from '../command.js';
import { withOfflineCenter } from '../center/offline.js';
import { cryptoRandom, pkiDir, storeLocation, STORE_OPTIONS } from '../center/store-option.js';
import { enrolOutput } from './enrol-output.js';

export interface EnrolTokenDeps {
  random?: (n: number) => Uint8Array;
}

export function makeEnrolTokenCommand(deps: EnrolTokenDeps = {}): Command {
  return {
    path: ['center', 'enrol-token'],
    summary: 'Make a one-time enrolment token for a kiosk (printed once)',
    usage: 'center enrol-token --pki DIR (--data DIR | --database URL) --kiosk ID --site SITE [--ttl MINUTES] [--json]',
    description: `
Makes a token for 'cardline kiosk enrol': bound to the kiosk ID and the
site (recorded for the kiosk when it enrols), good for one enrolment within
--ttl minutes (default ${DEFAULT_TOKEN_TTL_MINUTES}, at most ${MAX_TOKEN_TTL_MINUTES}). The center keeps only its SHA-256;
the token is printed once and cannot be shown again (make a new one).

Output: the token alone on a line of stdout (the details on stderr), so a
script can capture it: TOKEN=$(cardline center enrol-token …). With --json:
{ ok, kiosk, site, token, expiresAt }. Hand it to the installer as a file
readable by its owner only (chmod 600). Audited enrol.token, without it.

Works on the store directly, like 'center kiosks add' (with PGlite the
center must be stopped). Exit codes: 0 made, 1 refused (bad ID, site or
lifetime), 2 usage, 3 the store is locked by a running center.`,
    options: {
      ...STORE_OPTIONS,
      kiosk: { type: 'string', arg: 'ID', description: 'The kiosk ID the token enrols (the CN of its certificate)' },
      site: { type: 'string', arg: 'SITE', description: 'Where the kiosk stands (1..64 printable ASCII), recorded at enrolment' },
      ttl: { type: 'string', arg: 'MINUTES', description: `How long the token is good for (default ${DEFAULT_TOKEN_TTL_MINUTES}, 1..${MAX_TOKEN_TTL_MINUTES})` },
      json: { type: 'boolean', description: 'One JSON object on stdout (errors too: { ok: false, error: { code, message } })' },
    },
    run: (ctx: CommandContext, opts: ParsedOptions) => {
      const kiosk = required(opts, 'kiosk');
      const site = required(opts, 'site');
      const ttlText = typeof opts.ttl === 'string' ? opts.ttl : String(DEFAULT_TOKEN_TTL_MINUTES);
      if (!/^[0-9]{1,4}$/.test(ttlText) || Number(ttlText) < 1 || Number(ttlText) > MAX_TOKEN_TTL_MINUTES) throw new UsageError(`--ttl must be 1..${MAX_TOKEN_TTL_MINUTES} minutes`);
      const pki = pkiDir(opts);
      const store = storeLocation(opts);
      return enrolOutput(ctx, 'center enrol-token', opts.json === true, async () => {
        const t = await withOfflineCenter(ctx, pki, store, (c) =>
          createEnrolmentToken({ db: c.db, audit: c.audit, clock: ctx.clock, random: deps.random ?? cryptoRandom }, { kiosk, site, ttlMinutes: Number(ttlText), createdBy: operator() }),
        );
        const expiresAt = t.expiresAt.toISOString();
        ctx.err(`enrolment token for kiosk ${t.kiosk} at ${t.site}, good once until ${expiresAt}\n`);
        return { text: `${t.token}\n`, json: { kiosk: t.kiosk, site: t.site, token: t.token, expiresAt } };
      });
    },
  };
}

function required(opts: ParsedOptions, name: string): string {
  const v = opts[name];
  if (typeof v !== 'string' || v.length === 0) throw new UsageError(`--${name} is required`);
  return v;
}

/** Who made the token, for the audit log: the OS account running the command. */
function operator(): string {
  try {
    return `cli:${userInfo().username}`.slice(0, 64);
  } catch {
    return 'cli';
  }
}

export const enrolTokenCommand = makeEnrolTokenCommand();

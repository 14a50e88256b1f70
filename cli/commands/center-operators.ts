/**
 * `cardline center operators add|list|disable`: the center console's
 * accounts (center/console/operators.ts; docs/screens.md). A password is
 * never an argument (argv is visible to every user of the machine and kept
 * in shell history): `add` reads it from stdin, one line, unechoed on a
 * terminal. Each change is one transaction with its audit entry.
 */
import { addOperator, disableOperator, listOperators } from '../../center/console/operators.js';
import { DEFAULT_SCRYPT } from '../../common/slow-hash.js';
import { UsageError, type Command, type CommandContext, type ParsedOptions } from '../command.js';
import { withOfflineCenter } from '../center/offline.js';
import { cryptoRandom, pkiDir, storeLocation, STORE_OPTIONS } from '../center/store-option.js';
import { readSecretLine } from '../secret-line.js';

function required(opts: ParsedOptions, name: string): string {
  const v = opts[name];
  if (typeof v !== 'string' || v.length === 0) throw new UsageError(`--${name} is required`);
  return v;
}

/** The three commands; `readPassword` is stdin's first line (injected by tests). */
export function operatorCommands(readPassword: (ctx: CommandContext) => Promise<string> = (ctx) => readSecretLine(process.stdin, ctx)): Command[] {
  const add: Command = {
    path: ['center', 'operators', 'add'],
    summary: 'Create a console account (password read from stdin)',
    usage: 'center operators add --pki DIR --username U --role viewer|operator|admin (--data DIR | --database URL) < password',
    description: `
Reads the password from stdin (one line, at least 12 characters; not echoed
on a terminal) and stores only its scrypt hash. Roles: viewer reads every
view; operator also voids jobs and adds applications; admin also revokes
kiosks. Usernames: 2..32 of a-z 0-9 . _ -, starting with a letter.`,
    options: {
      ...STORE_OPTIONS,
      username: { type: 'string', arg: 'U', description: 'Account name' },
      role: { type: 'string', arg: 'ROLE', description: 'viewer, operator or admin' },
    },
    run: async (ctx, opts) => {
      const username = required(opts, 'username');
      const role = required(opts, 'role');
      if (role !== 'viewer' && role !== 'operator' && role !== 'admin') throw new UsageError('--role must be viewer, operator or admin');
      const password = await readPassword(ctx);
      await withOfflineCenter(ctx, pkiDir(opts), storeLocation(opts), (c) =>
        addOperator({ db: c.db, audit: c.audit, clock: ctx.clock, random: cryptoRandom, scrypt: DEFAULT_SCRYPT }, { username, role, password }),
      );
      ctx.out(`operator ${username} (${role}) added\n`);
      return 0;
    },
  };
  const list: Command = {
    path: ['center', 'operators', 'list'],
    summary: 'List the console accounts',
    usage: 'center operators list --pki DIR (--data DIR | --database URL) [--json]',
    options: { ...STORE_OPTIONS, json: { type: 'boolean', description: 'One JSON array instead of a table' } },
    run: async (ctx, opts) => {
      const rows = await withOfflineCenter(ctx, pkiDir(opts), storeLocation(opts), (c) => listOperators(c.db));
      const now = ctx.clock.now();
      const items = rows.map((r) => ({
        username: r.username,
        role: r.role,
        status: r.status,
        locked: r.locked_until !== null && r.locked_until.getTime() > now,
        createdAt: r.created_at.toISOString(),
      }));
      if (opts.json === true) ctx.out(`${JSON.stringify(items)}\n`);
      else {
        ctx.out(`${'USERNAME'.padEnd(33)}${'ROLE'.padEnd(10)}${'STATUS'.padEnd(10)}CREATED\n`);
        for (const i of items) ctx.out(`${i.username.padEnd(33)}${i.role.padEnd(10)}${(i.locked ? 'locked' : i.status).padEnd(10)}${i.createdAt}\n`);
      }
      return 0;
    },
  };
  const disable: Command = {
    path: ['center', 'operators', 'disable'],
    summary: 'Disable a console account and end its sessions',
    usage: 'center operators disable --pki DIR --username U (--data DIR | --database URL)',
    options: { ...STORE_OPTIONS, username: { type: 'string', arg: 'U', description: 'Account name' } },
    run: async (ctx, opts) => {
      const username = required(opts, 'username');
      await withOfflineCenter(ctx, pkiDir(opts), storeLocation(opts), (c) => disableOperator({ db: c.db, audit: c.audit, clock: ctx.clock }, username));
      ctx.out(`operator ${username} disabled\n`);
      return 0;
    },
  };
  return [add, list, disable];
}

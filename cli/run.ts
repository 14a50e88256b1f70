/**
 * Dispatch: finds the command for argv, parses its options strictly and maps
 * errors to exit codes in exactly one place.
 *
 * Exit codes: 0 success, 1 the operation failed (typed error code printed),
 * 2 usage error, 130 interrupted.
 */
import { parseArgs } from 'node:util';
import type { Command, CommandContext, ParsedOptions } from './command.js';
import { UsageError } from './command.js';
import { commandHelp, groupHelp } from './help.js';

export async function runCli(argv: string[], commands: Command[], ctx: CommandContext): Promise<number> {
  const words = argv.filter((a) => !a.startsWith('-'));
  const cmd = longestMatch(words, commands);
  const wantsHelp = argv.includes('--help') || argv.includes('-h') || words[0] === 'help';
  if (!cmd) {
    const prefix = words[0] === 'help' ? words.slice(1) : words;
    const known = commands.some((c) => prefix.every((w, i) => c.path[i] === w));
    if (!known) {
      ctx.err(`cardline: unknown command '${prefix.map(safeWord).join(' ')}'\n\n${groupHelp([], commands)}`);
      return 2;
    }
    (wantsHelp || prefix.length > 0 ? ctx.out : ctx.err)(groupHelp(prefix, commands));
    return wantsHelp || prefix.length > 0 ? 0 : 2;
  }
  if (wantsHelp) {
    ctx.out(commandHelp(cmd));
    return 0;
  }
  const rest = argv.slice(argvIndexAfter(argv, cmd.path));
  try {
    const { opts, positionals } = parseOptions(cmd, rest);
    return await cmd.run(ctx, opts, positionals);
  } catch (e) {
    return reportError(e, cmd, ctx);
  }
}

/**
 * An argument as it may appear in an error message. Option values travel as
 * plain words (`--keys ENC:MAC:DEK`), so a misplaced or misspelt one would
 * otherwise be echoed to stderr: only word-like arguments are shown, and
 * anything that could be key material (hex runs, separators) is redacted.
 */
export function safeWord(word: string): string {
  const wordLike = /^[A-Za-z][A-Za-z0-9_.-]{0,31}$/.test(word);
  const hexRun = /[0-9A-Fa-f]{12,}/.test(word);
  return wordLike && !hexRun ? word : '<redacted>';
}

function longestMatch(words: string[], commands: Command[]): Command | undefined {
  let best: Command | undefined;
  for (const c of commands) {
    if (c.path.every((w, i) => words[i] === w) && (!best || c.path.length > best.path.length)) best = c;
  }
  return best;
}

function argvIndexAfter(argv: string[], path: string[]): number {
  let matched = 0;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === path[matched]) matched++;
    if (matched === path.length) return i + 1;
  }
  return argv.length;
}

function parseOptions(cmd: Command, args: string[]): { opts: ParsedOptions; positionals: string[] } {
  const options: Record<string, { type: 'string' | 'boolean'; short?: string }> = {};
  for (const [name, o] of Object.entries(cmd.options)) options[name] = o.short ? { type: o.type, short: o.short } : { type: o.type };
  let parsed;
  try {
    parsed = parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const allowed = cmd.positionals?.length ?? 0;
  if (parsed.positionals.length > allowed) {
    throw new UsageError(`unexpected argument '${safeWord(parsed.positionals[allowed] ?? '')}'`);
  }
  const opts: ParsedOptions = {};
  for (const [name, o] of Object.entries(cmd.options)) {
    const v = (parsed.values as Record<string, unknown>)[name];
    opts[name] = (v as string | boolean | undefined) ?? o.default;
  }
  return { opts, positionals: parsed.positionals };
}

function reportError(e: unknown, cmd: Command, ctx: CommandContext): number {
  if (e instanceof UsageError) {
    ctx.err(`cardline ${cmd.path.join(' ')}: ${e.message}\nRun 'cardline ${cmd.path.join(' ')} --help' for usage.\n`);
    return 2;
  }
  if (ctx.signal.aborted) return 130;
  const err = e as { code?: unknown; message?: unknown; name?: unknown };
  const code = typeof err.code === 'string' ? err.code : 'INTERNAL';
  // Messages of our typed errors carry no secrets (see card/errors.ts); stacks are not printed.
  ctx.err(`cardline ${cmd.path.join(' ')}: ${String(err.message ?? e)}\n`);
  ctx.logger.error('command failed', { command: cmd.path.join(' '), code });
  return 1;
}

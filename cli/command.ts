/**
 * The shape of a CLI command. Every command declares its options once; the
 * same declaration drives parsing (node:util parseArgs, strict) and `--help`.
 */
import type { Clock } from '../common/clock.js';
import type { Logger } from '../common/log.js';

export interface OptionSpec {
  type: 'string' | 'boolean';
  short?: string;
  /** Placeholder shown in help, e.g. HOST:PORT. */
  arg?: string;
  description: string;
  default?: string | boolean;
}

export type ParsedOptions = Record<string, string | boolean | undefined>;

export interface CommandContext {
  out: (text: string) => void;
  err: (text: string) => void;
  logger: Logger;
  clock: Clock;
  env: NodeJS.ProcessEnv;
  /** Aborted on SIGINT/SIGTERM: long-running commands stop cleanly. */
  signal: AbortSignal;
}

export interface Command {
  /** Words after `cardline`, e.g. ['sim', 'card']. */
  path: string[];
  summary: string;
  /** One usage line without the leading `cardline`. */
  usage: string;
  /** Longer description for `--help`. */
  description?: string;
  options: Record<string, OptionSpec>;
  /** Positional arguments allowed (names for help); none when absent. */
  positionals?: string[];
  run(ctx: CommandContext, opts: ParsedOptions, positionals: string[]): Promise<number>;
}

/** Bad command-line input: exit code 2, message names the option. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
  readonly code = 'USAGE';
}

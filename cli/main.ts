#!/usr/bin/env node
/**
 * The `cardline` executable: wires real I/O (stdout, stderr, clock, logger,
 * signals) into the command table and exits with the command's code.
 */
import { systemClock } from '../common/clock.js';
import { jsonLogger, parseLogLevel } from '../common/log.js';
import { COMMANDS } from './commands/index.js';
import { runCli } from './run.js';

const controller = new AbortController();
for (const sig of ['SIGINT', 'SIGTERM'] as const) process.on(sig, () => controller.abort());

// Validated at start-up, naming the key: an unknown level would otherwise let debug records through.
const levelText = process.env.CARDLINE_LOG_LEVEL ?? 'warn';
const level = parseLogLevel(levelText);
if (level === undefined) {
  process.stderr.write(`cardline: CARDLINE_LOG_LEVEL must be one of debug, info, warn, error\n`);
  process.exit(2);
}
const logger = jsonLogger({ write: (l) => process.stderr.write(l), level, ns: 'cardline' });

const code = await runCli(process.argv.slice(2), COMMANDS, {
  out: (t) => process.stdout.write(t),
  err: (t) => process.stderr.write(t),
  logger,
  clock: systemClock,
  env: process.env,
  signal: controller.signal,
});
process.exitCode = code;

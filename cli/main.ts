#!/usr/bin/env node
/**
 * The `cardline` executable: wires real I/O (stdout, stderr, clock, logger,
 * signals) into the command table and exits with the command's code.
 */
import { systemClock } from '../common/clock.js';
import { jsonLogger, type LogLevel } from '../common/log.js';
import { COMMANDS } from './commands/index.js';
import { runCli } from './run.js';

const controller = new AbortController();
for (const sig of ['SIGINT', 'SIGTERM'] as const) process.on(sig, () => controller.abort());

const level = (process.env.CARDLINE_LOG_LEVEL ?? 'warn') as LogLevel;
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

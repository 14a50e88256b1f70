/** Runs `cardline audit verify` in process, capturing its output and exit code (shared by the CLI and PGlite tests). */
import { auditVerifyCommand } from '../../../cli/commands/audit-verify.js';
import { runCli } from '../../../cli/run.js';
import { systemClock } from '../../../common/clock.js';
import { memoryLogger } from '../../../common/log.js';

export interface CliResult {
  code: number;
  out: string;
  err: string;
}

export async function auditVerify(args: string[]): Promise<CliResult> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(['audit', 'verify', ...args], [auditVerifyCommand], {
    out: (s) => out.push(s),
    err: (s) => err.push(s),
    logger: memoryLogger(),
    clock: systemClock,
    env: {},
    signal: new AbortController().signal,
  });
  return { code, out: out.join(''), err: err.join('') };
}

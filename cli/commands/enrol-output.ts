/**
 * The scripting conventions (docs/provisioning.md §7) for the enrolment
 * commands, as cli/commands/fleet-output.ts has them for the fleet's, with
 * the enrolment client's own "retry later" cases: the endpoint unreachable
 * or busy (exit 3), the store locked by a running center (exit 3). A
 * refusal by the center is reported with the center's code
 * (`token-refused`, `kiosk-exists`, …).
 */
import { isEnrolClientError } from '../../kiosk/enrol/errors.js';
import { UsageError, type CommandContext } from '../command.js';

const RETRY_LATER = new Set(['LOCKED', 'BUSY', 'UNREACHABLE']);

export interface EnrolResult {
  /** The human summary (ends with a newline). */
  text: string;
  /** The `--json` object (`ok: true` is added). */
  json: Record<string, unknown>;
}

export async function enrolOutput(ctx: CommandContext, name: string, json: boolean, run: () => Promise<EnrolResult>): Promise<number> {
  try {
    const r = await run();
    ctx.out(json ? `${JSON.stringify({ ok: true, ...r.json })}\n` : r.text);
    return 0;
  } catch (e) {
    if (e instanceof UsageError || ctx.signal.aborted) throw e;
    const err = e as { code?: unknown; message?: unknown };
    const kind = typeof err.code === 'string' ? err.code : 'INTERNAL';
    const code = isEnrolClientError(e) && e.centerCode !== undefined ? e.centerCode : kind;
    const message = String(err.message ?? e).replace(/^[A-Za-z_-]+: /, '');
    if (json) ctx.out(`${JSON.stringify({ ok: false, error: { code, message } })}\n`);
    else ctx.err(`cardline ${name}: ${code}: ${message}\n`);
    ctx.logger.error('command failed', { command: name, code });
    return RETRY_LATER.has(kind) ? 3 : 1;
  }
}

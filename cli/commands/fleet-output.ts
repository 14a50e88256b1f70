/**
 * The scripting conventions of the fleet commands (docs/provisioning.md §7):
 * a human summary, or with `--json` one JSON object on stdout; exit 0 done,
 * 1 refused or failed (`{ ok: false, error: { code, message } }` with
 * `--json`, else the message on stderr), 2 usage (cli/run.ts), 3 the other
 * side is busy or unreachable: retry later (the store or the CA locked).
 */
import { UsageError, type CommandContext, type OptionSpec } from '../command.js';

export const JSON_OPTION: Record<string, OptionSpec> = { json: { type: 'boolean', description: 'One JSON object on stdout (errors too: { ok: false, error: { code, message } })' } };

/** Error codes that mean "retry later" (exit 3): the PGlite directory held by a running center, the CA's lock taken. */
const RETRY_LATER = new Set(['LOCKED', 'BUSY']);

export interface FleetResult {
  /** The human summary (ends with a newline). */
  text: string;
  /** The `--json` object (`ok: true` is added). */
  json: Record<string, unknown>;
}

/** Runs a fleet command's body and prints its outcome by the conventions above. */
export async function fleetOutput(ctx: CommandContext, name: string, json: boolean, run: () => Promise<FleetResult>): Promise<number> {
  try {
    const r = await run();
    ctx.out(json ? `${JSON.stringify({ ok: true, ...r.json })}\n` : r.text);
    return 0;
  } catch (e) {
    if (e instanceof UsageError || ctx.signal.aborted) throw e;
    const err = e as { code?: unknown; message?: unknown };
    const code = typeof err.code === 'string' ? err.code : 'INTERNAL';
    const message = String(err.message ?? e).replace(/^[A-Z_]+: /, '');
    if (json) ctx.out(`${JSON.stringify({ ok: false, error: { code, message } })}\n`);
    else ctx.err(`cardline ${name}: ${code}: ${message}\n`);
    ctx.logger.error('command failed', { command: name, code });
    return RETRY_LATER.has(code) ? 3 : 1;
  }
}

/**
 * The scripting conventions of the stock commands (docs/provisioning.md §7):
 * a human summary or, with --json, one JSON object on stdout; exit 0 done,
 * 1 refused or failed (the error's code and message: stderr, or
 * `{ ok: false, error }` on stdout with --json), 2 usage (UsageError, mapped
 * by cli/run.ts), 3 the store is locked or unreachable: retry later.
 */
import { UsageError, type CommandContext } from '../command.js';

export interface Outcome {
  /** Lines for a human, newline-terminated. */
  text: string;
  /** The --json answer's fields (beside `ok: true`). */
  json: Record<string, unknown>;
}

/** Store errors that mean "busy or not there now", not "refused". */
const RETRY_LATER = new Set(['LOCKED', 'OPEN_FAILED']);

export async function scripted(ctx: CommandContext, name: string, json: boolean, fn: () => Promise<Outcome>): Promise<number> {
  try {
    const o = await fn();
    ctx.out(json ? `${JSON.stringify({ ok: true, ...o.json })}\n` : o.text);
    return 0;
  } catch (e) {
    if (e instanceof UsageError) throw e;
    const err = e as { code?: unknown; message?: unknown; name?: unknown };
    const code = typeof err.code === 'string' ? err.code : 'INTERNAL';
    // Messages of our typed errors carry no secrets (ids, files, counts, status words).
    const message = String(err.message ?? e).replace(new RegExp(`^${code}: `), '');
    if (json) ctx.out(`${JSON.stringify({ ok: false, error: { code, message } })}\n`);
    else ctx.err(`cardline ${name}: ${code}: ${message}\n`);
    ctx.logger.error('command failed', { command: name, code });
    return err.name === 'StoreError' && RETRY_LATER.has(code) ? 3 : 1;
  }
}

export function required(opts: Record<string, string | boolean | undefined>, name: string): string {
  const v = opts[name];
  if (typeof v !== 'string' || v.length === 0) throw new UsageError(`--${name} is required`);
  return v;
}

/**
 * The scripting conventions of every fleet command group — fleet
 * (`center kiosks …`, readers, applications, jobs), stock, enrolment and
 * pki — in one place (docs/provisioning.md §7): a human summary, or with
 * `--json` one JSON object on stdout; exit 0 done, 1 refused or failed
 * (`{ ok: false, error: { code, message } }` with `--json`, else
 * `cardline NAME: CODE: message` on stderr), 2 usage (UsageError, mapped by
 * cli/run.ts), 3 the other side is busy or unreachable: retry later
 * (RETRY_LATER). stock-output.ts, enrol-output.ts and pki-output.ts only
 * adapt their call shapes to fleetOutput. Messages of our typed errors carry
 * no secrets (ids, files, counts), so they are printed as they are, without
 * the code prefix some error classes put in front.
 */
import { isEnrolClientError } from '../../kiosk/enrol/errors.js';
import { UsageError, type CommandContext, type OptionSpec } from '../command.js';

export const JSON_OPTION: Record<string, OptionSpec> = { json: { type: 'boolean', description: 'One JSON object on stdout (errors too: { ok: false, error: { code, message } })' } };

/**
 * Error codes that mean "retry later" (exit 3), whichever command group
 * meets them: LOCKED — the PGlite store is held by a running center;
 * LOCK_TIMEOUT — a store lock (Db.withLock, a kiosk's) stayed held by
 * another center worker for the store's whole lock wait (no admin command
 * takes one today: listed so that one that does retries, not fails);
 * UNREACHABLE — no PostgreSQL server answered (center/store/postgres.ts;
 * a bad URL, a refused login or a missing database are OPEN_FAILED: exit 1,
 * retrying will not help), or no answer from the enrolment endpoint; BUSY — the CA's
 * lock stays held by another writer, or the enrolment endpoint answered 429
 * or 5xx.
 */
export const RETRY_LATER: ReadonlySet<string> = new Set(['LOCKED', 'LOCK_TIMEOUT', 'BUSY', 'UNREACHABLE']);

export interface FleetResult {
  /** The human summary (ends with a newline). */
  text: string;
  /** The `--json` object (`ok` is added: true when `exit` is 0). */
  json: Record<string, unknown>;
  /** The exit code of a command that ran to its end but reports a failed check (`pki crl status` of an expired CRL: 1); default 0. */
  exit?: number;
}

/** Runs a fleet command's body and prints its outcome by the conventions above. */
export async function fleetOutput(ctx: CommandContext, name: string, json: boolean, run: () => Promise<FleetResult>): Promise<number> {
  let r: FleetResult;
  try {
    r = await run();
  } catch (e) {
    if (e instanceof UsageError || ctx.signal.aborted) throw e;
    const { code, message, retry } = describeError(e);
    if (json) ctx.out(`${JSON.stringify({ ok: false, error: { code, message } })}\n`);
    else ctx.err(`cardline ${name}: ${code}: ${message}\n`);
    ctx.logger.error('command failed', { command: name, code });
    return retry ? 3 : 1;
  }
  const exit = r.exit ?? 0;
  ctx.out(json ? `${JSON.stringify({ ok: exit === 0, ...r.json })}\n` : r.text);
  return exit;
}

/**
 * The code shown (a refusal by the center: the center's own code, e.g.
 * `token-refused`), the message without a leading `CODE: `, and whether the
 * error's own code is one to retry later.
 */
function describeError(e: unknown): { code: string; message: string; retry: boolean } {
  const err = e as { code?: unknown; message?: unknown };
  const own = typeof err.code === 'string' ? err.code : 'INTERNAL';
  const code = isEnrolClientError(e) && e.centerCode !== undefined ? e.centerCode : own;
  let message = String(err.message ?? e);
  for (const prefix of [`${code}: `, `${own}: `]) if (message.startsWith(prefix)) message = message.slice(prefix.length);
  // A wrapped error's code in front of the message (an upper-case code, as CenterError and StoreError write them).
  message = message.replace(/^[A-Z][A-Z0-9_]+: /, '');
  return { code, message, retry: RETRY_LATER.has(own) };
}

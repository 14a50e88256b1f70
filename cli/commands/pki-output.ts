/**
 * What the fleet CA commands (`cardline pki root|issuing|crl|revoke|status`)
 * share: their call shape over the one wrapper of the scripting conventions
 * (fleet-output.ts fleetOutput, docs/provisioning.md §7: one JSON object on
 * stdout with `--json`, a human summary otherwise, exit 1 for a refusal or
 * failure, 3 when the CA's lock stays held — retry later), and the option
 * parsers. Usage errors stay run.ts's (exit 2). Nothing printed here holds a
 * private key: results carry paths, fingerprints and serials.
 */
import { X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { MAX_DAYS } from '../../provisioning/pki/ca.js';
import { PkiError } from '../../provisioning/pki/errors.js';
import { canonicalSerial, checkReason } from '../../provisioning/pki/revocation-list.js';
import type { RevocationReason } from '../../provisioning/pki/ca.js';
import { UsageError, type Command, type CommandContext, type ParsedOptions } from '../command.js';
import { fleetOutput } from './fleet-output.js';

/** A command's outcome: the JSON fields, the text lines, and the exit code (0 unless said). */
export interface PkiResult {
  json: Record<string, unknown>;
  text: string[];
  code?: number;
}

/** Exit code when another writer holds the CA's lock (docs/provisioning.md §7; fleet-output.ts RETRY_LATER). */
export const EXIT_RETRY = 3;

/** Wraps a command body with the output and exit-code conventions (fleetOutput). */
export function pkiRun(body: (ctx: CommandContext, opts: ParsedOptions, positionals: string[]) => Promise<PkiResult>): Command['run'] {
  return (ctx, opts, positionals) =>
    fleetOutput(ctx, 'pki', opts.json === true, async () => {
      const r = await body(ctx, opts, positionals);
      return { json: r.json, text: `${r.text.join('\n')}\n`, ...(r.code !== undefined ? { exit: r.code } : {}) };
    });
}

/** A string option, required. */
export function requiredString(opts: ParsedOptions, name: string): string {
  const v = opts[name];
  if (typeof v !== 'string' || v === '') throw new UsageError(`--${name} is required`);
  return v;
}

/** The first positional, required. */
export function requiredPositional(positionals: string[], name: string): string {
  const v = positionals[0];
  if (v === undefined || v === '') throw new UsageError(`${name} is required`);
  return v;
}

/** `--days N`: an integer 1..MAX_DAYS, or undefined when absent. */
export function daysOption(opts: ParsedOptions, name = 'days'): number | undefined {
  const v = opts[name];
  if (v === undefined) return undefined;
  const n = typeof v === 'string' && /^[0-9]{1,5}$/.test(v) ? Number(v) : NaN;
  if (!Number.isInteger(n) || n < 1 || n > MAX_DAYS) throw new UsageError(`--${name} must be an integer 1..${MAX_DAYS}`);
  return n;
}

/** `--serial HEX`: canonical lower-case hex (colons allowed), else usage. */
export function serialOption(opts: ParsedOptions, name: string): string {
  try {
    return canonicalSerial(requiredString(opts, name));
  } catch (e) {
    if (e instanceof PkiError) throw new UsageError(`--${name}: ${e.message}`);
    throw e;
  }
}

/** `--reason R`: one of REVOCATION_REASONS. */
export function reasonOption(opts: ParsedOptions, fallback: RevocationReason): RevocationReason {
  const v = opts.reason;
  if (v === undefined) return fallback;
  try {
    return checkReason(String(v));
  } catch (e) {
    if (e instanceof PkiError) throw new UsageError(`--reason: ${e.message}`);
    throw e;
  }
}

/** Runs a creation and turns its INVALID_ARGUMENT (a name, a validity out of range) into a usage error. */
export async function asUsage<T>(p: Promise<T>): Promise<T> {
  try {
    return await p;
  } catch (e) {
    if (e instanceof PkiError && e.code === 'INVALID_ARGUMENT') throw new UsageError(e.message);
    throw e;
  }
}

export interface CertFacts {
  path: string;
  subject: string;
  serial: string;
  notAfter: string;
  sha256: string;
}

/** A certificate file's public facts (the first certificate of the file). */
export async function certFacts(path: string): Promise<CertFacts> {
  const x = new X509Certificate(await readFile(path));
  return { path, subject: x.subject.split('\n').join(', '), serial: x.serialNumber.toLowerCase(), notAfter: new Date(x.validTo).toISOString(), sha256: x.fingerprint256 };
}

/**
 * Structured logging: one JSON object per line, with a per-module namespace
 * (`ns`). Loggers are injected; there is no global logger.
 *
 * Logs never carry card data, keys, one-time codes or personal data. Callers
 * log identifiers, lengths, tags and status words only; byte arrays are
 * reduced to their length at any depth. test/unit/common/log.test.ts holds
 * both to it (a lint-style scan of every log call's fields).
 */
import type { Clock } from './clock.js';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  /** A logger for a sub-module: namespaces join with ':' (e.g. `sim:card`). */
  child(ns: string): Logger;
}

const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface JsonLoggerOptions {
  /** Where lines go (e.g. `(line) => process.stderr.write(line)`). */
  write: (line: string) => void;
  level?: LogLevel;
  ns?: string;
  clock?: Pick<Clock, 'now'>;
}

/** A logger writing JSON lines. Errors are reduced to name, code and message (no stack with data). */
export function jsonLogger(opts: JsonLoggerOptions): Logger {
  const level = opts.level ?? 'info';
  // An unknown level would compare as undefined and let every record through, debug included.
  if (parseLogLevel(level) === undefined) throw new RangeError(`unknown log level: ${String(level)}`);
  const min = ORDER[level];
  // Called on the clock, not detached from it: a class clock (FakeClock) needs its `this`.
  const clock = opts.clock;
  const now = (): number => (clock ? clock.now() : Date.now());
  const ns = opts.ns ?? 'cardline';
  const emit = (level: LogLevel, msg: string, fields?: LogFields): void => {
    if (ORDER[level] < min) return;
    const record = { t: new Date(now()).toISOString(), level, ns, msg, ...normalize(fields) };
    opts.write(`${JSON.stringify(record)}\n`);
  };
  return {
    debug: (m, f) => emit('debug', m, f),
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
    child: (sub) => jsonLogger({ ...opts, ns: `${ns}:${sub}` }),
  };
}

/** Levels of nested objects and arrays kept in a record; deeper ones are cut. */
const MAX_DEPTH = 4;

function normalize(fields: LogFields | undefined): LogFields {
  if (!fields) return {};
  const out: LogFields = {};
  for (const [k, v] of Object.entries(fields)) out[k] = normalizeValue(v, 0);
  return out;
}

/**
 * One field value, at any depth: JSON.stringify would write a nested
 * Uint8Array byte by byte ({"0":64,"1":65,...}), so byte arrays (and other
 * binary views) become their length wherever they sit, and errors their
 * name, code and message (no stack, no attached fields).
 */
function normalizeValue(v: unknown, depth: number): unknown {
  if (v instanceof Error) return { name: v.name, code: (v as { code?: unknown }).code, message: v.message };
  // Byte arrays are never logged as content: only their length.
  if (ArrayBuffer.isView(v)) return { bytes: v.byteLength };
  if (v instanceof ArrayBuffer) return { bytes: v.byteLength };
  // BigInts would make JSON.stringify throw; dates keep their JSON form.
  if (v === null || typeof v !== 'object') return typeof v === 'bigint' ? v.toString() : v;
  if (v instanceof Date) return v.toISOString();
  if (depth >= MAX_DEPTH) return '[nested]';
  if (Array.isArray(v)) return v.map((x) => normalizeValue(x, depth + 1));
  if (v instanceof Map || v instanceof Set) return { entries: v.size };
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) out[k] = normalizeValue(x, depth + 1);
  return out;
}

/** The log level named by `text` (e.g. an environment variable), or undefined when it names none. */
export function parseLogLevel(text: string): LogLevel | undefined {
  return Object.hasOwn(ORDER, text) ? (text as LogLevel) : undefined;
}

/** A logger that drops everything (unit tests, library defaults). */
export const silentLogger: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  child: () => silentLogger,
};

/** A logger that keeps records in memory, for tests that assert on what was logged. */
export function memoryLogger(ns = 'test'): Logger & { lines: string[] } {
  const lines: string[] = [];
  const logger = jsonLogger({ write: (l) => lines.push(l), level: 'debug', ns, clock: { now: () => 0 } });
  return Object.assign(logger, { lines });
}

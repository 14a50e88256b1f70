/**
 * Structured logging: one JSON object per line, with a per-module namespace
 * (`ns`). Loggers are injected; there is no global logger.
 *
 * Logs never carry card data, keys, one-time codes or personal data. Callers
 * log identifiers, lengths, tags and status words only; test/unit/common
 * greps log output for secrets.
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
  const min = ORDER[opts.level ?? 'info'];
  const now = opts.clock?.now ?? Date.now;
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

function normalize(fields: LogFields | undefined): LogFields {
  if (!fields) return {};
  const out: LogFields = {};
  for (const [k, v] of Object.entries(fields)) {
    if (v instanceof Error) {
      out[k] = { name: v.name, code: (v as { code?: unknown }).code, message: v.message };
    } else if (v instanceof Uint8Array) {
      // Byte arrays are never logged as content: only their length.
      out[k] = { bytes: v.length };
    } else {
      out[k] = v;
    }
  }
  return out;
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

/**
 * Reads one secret line (a console password, a kiosk operator PIN) from a
 * stream: stdin piped (`… < file`, `printf … |`) or a terminal, where the
 * characters are not echoed (raw mode; Backspace edits, Ctrl-C or Ctrl-D
 * gives up). At most `maxChars` (default MAX_SECRET_BYTES) are read; the
 * line end is not part of the secret.
 */
import { UsageError, type CommandContext } from './command.js';

export const MAX_SECRET_BYTES = 4096;

/** A readable stream, perhaps a terminal (process.stdin). */
export interface SecretInput extends AsyncIterable<Buffer | string> {
  isTTY?: boolean;
  setRawMode?: (raw: boolean) => unknown;
  pause?: () => unknown;
}

export interface SecretLineOptions {
  /** What is asked for, in the prompt and the messages (default 'password'). */
  name?: string;
  /** Longest accepted secret (default MAX_SECRET_BYTES). */
  maxChars?: number;
}

export async function readSecretLine(input: SecretInput, ctx: Pick<CommandContext, 'err'>, o: SecretLineOptions = {}): Promise<string> {
  const name = o.name ?? 'password';
  const max = o.maxChars ?? MAX_SECRET_BYTES;
  const tty = input.isTTY === true && typeof input.setRawMode === 'function';
  if (tty) {
    ctx.err(`${name}: `);
    input.setRawMode!(true);
  }
  let text = '';
  try {
    for await (const chunk of input) {
      for (const ch of Buffer.isBuffer(chunk) ? chunk.toString('utf8') : String(chunk)) {
        if (ch === '\n' || ch === '\r') return text;
        if (tty && (ch === '\u0003' || ch === '\u0004')) throw new UsageError(`no ${name} given`);
        if (tty && (ch === '\u007f' || ch === '\b')) text = text.slice(0, -1);
        else text += ch;
        if (text.length > max) throw new UsageError(`the ${name} is longer than ${max} characters`);
      }
    }
    if (text === '') throw new UsageError(`give the ${name} on stdin (one line)`);
    return text;
  } finally {
    if (tty) {
      input.setRawMode!(false);
      ctx.err('\n');
      input.pause?.();
    }
  }
}

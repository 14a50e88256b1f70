/**
 * Reads one secret line (a console password) from a stream: stdin piped
 * (`… < file`, `printf … |`) or a terminal, where the characters are not
 * echoed (raw mode; Backspace edits, Ctrl-C or Ctrl-D gives up). At most
 * MAX_SECRET_BYTES are read; the line end is not part of the secret.
 */
import type { Readable } from 'node:stream';
import { UsageError, type CommandContext } from '../command.js';

export const MAX_SECRET_BYTES = 4096;

interface MaybeTty extends Readable {
  isTTY?: boolean;
  setRawMode?: (raw: boolean) => unknown;
}

export async function readSecretLine(input: MaybeTty, ctx: Pick<CommandContext, 'err'>): Promise<string> {
  const tty = input.isTTY === true && typeof input.setRawMode === 'function';
  if (tty) {
    ctx.err('password: ');
    input.setRawMode!(true);
  }
  let text = '';
  try {
    for await (const chunk of input) {
      for (const ch of Buffer.isBuffer(chunk) ? chunk.toString('utf8') : String(chunk)) {
        if (ch === '\n' || ch === '\r') return text;
        if (tty && (ch === '\u0003' || ch === '\u0004')) throw new UsageError('no password given');
        if (tty && (ch === '\u007f' || ch === '\b')) text = text.slice(0, -1);
        else text += ch;
        if (text.length > MAX_SECRET_BYTES) throw new UsageError(`the password is longer than ${MAX_SECRET_BYTES} characters`);
      }
    }
    if (text === '') throw new UsageError('give the password on stdin (one line)');
    return text;
  } finally {
    if (tty) {
      input.setRawMode!(false);
      ctx.err('\n');
      input.pause();
    }
  }
}

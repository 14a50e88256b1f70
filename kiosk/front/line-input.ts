/**
 * Lines from a readable stream (stdin), one at a time, for the terminal
 * front end. A secret line (the one-time code) is read with the terminal in
 * raw mode when the input is a TTY, so the terminal does not echo it; this
 * module never writes what it reads anywhere.
 *
 * Raw mode delivers keys as typed: Enter is CR, Backspace is DEL (7F),
 * Ctrl-C is ETX (03: cancels, as SIGINT would) and Ctrl-D on an empty line
 * is EOF (04).
 */

export interface TextInput {
  on(event: 'data', listener: (chunk: Buffer | string) => void): unknown;
  on(event: 'end' | 'close', listener: () => void): unknown;
  removeAllListeners(event?: string): unknown;
  pause(): unknown;
  resume(): unknown;
  readonly isTTY?: boolean;
  setRawMode?(mode: boolean): unknown;
  /** Releases the stream (stdin): a paused stdin still keeps the process alive. */
  destroy?(): unknown;
}

const TERMINATORS = new Set(['\r', '\n', '\u0003', '\u0004']);

interface Waiter {
  secret: boolean;
  resolve: (line: string | undefined) => void;
}

export class LineInput {
  readonly #input: TextInput;
  readonly #decoder = new TextDecoder();
  #pending = '';
  #ended = false;
  #waiter: Waiter | undefined;
  /** The last line ended with CR: an LF arriving next (CRLF split across chunks) is part of it. */
  #afterCr = false;

  constructor(input: TextInput) {
    this.#input = input;
    input.on('data', (chunk) => {
      this.#pending += typeof chunk === 'string' ? chunk : this.#decoder.decode(chunk, { stream: true });
      this.#pump();
    });
    const end = (): void => {
      this.#ended = true;
      this.#pump();
    };
    input.on('end', end);
    input.on('close', end);
    input.pause();
  }

  /** The next line without its terminator; undefined at EOF or on Ctrl-C. */
  readLine(opts: { secret?: boolean } = {}): Promise<string | undefined> {
    if (this.#waiter) return Promise.reject(new RangeError('one readLine at a time'));
    return new Promise((resolve) => {
      const secret = opts.secret === true;
      if (secret && this.#input.isTTY === true) this.#input.setRawMode?.(true);
      this.#waiter = { secret, resolve };
      this.#input.resume();
      this.#pump();
    });
  }

  #pump(): void {
    const w = this.#waiter;
    if (w === undefined) return;
    if (this.#afterCr && this.#pending !== '') {
      if (this.#pending.startsWith('\n')) this.#pending = this.#pending.slice(1);
      this.#afterCr = false;
    }
    // Terminators: CR, LF, ETX (Ctrl-C), EOT (Ctrl-D).
    const at = [...this.#pending].findIndex((ch) => TERMINATORS.has(ch));
    if (at < 0 && !this.#ended) return;
    let line: string | undefined;
    if (at < 0) {
      line = this.#pending === '' ? undefined : this.#pending;
      this.#pending = '';
    } else {
      const chars = [...this.#pending];
      const raw = chars.slice(0, at).join('');
      const term = chars[at]!;
      const skip = term === '\r' && chars[at + 1] === '\n' ? 2 : 1;
      this.#afterCr = term === '\r' && skip === 1;
      this.#pending = chars.slice(at + skip).join('');
      const text = applyBackspaces(raw);
      line = term === '\x03' || (term === '\x04' && text === '') ? undefined : text;
      if (term === '\x03') this.#ended = true;
    }
    this.#finish(w, line);
  }

  #finish(w: Waiter, line: string | undefined): void {
    this.#waiter = undefined;
    if (w.secret && this.#input.isTTY === true) this.#input.setRawMode?.(false);
    this.#input.pause();
    w.resolve(line);
  }

  /** Stops reading (the process may then exit); a waiting readLine resolves undefined. */
  close(): void {
    this.#ended = true;
    const w = this.#waiter;
    if (w) this.#finish(w, undefined);
    this.#input.removeAllListeners('data');
    this.#input.pause();
    // `--once` must exit even when stdin stays open (a terminal, a pipe nobody closes).
    this.#input.destroy?.();
  }
}

function applyBackspaces(raw: string): string {
  const out: string[] = [];
  for (const ch of raw) {
    if (ch === '\x7f' || ch === '\b') out.pop();
    else out.push(ch);
  }
  return out.join('');
}

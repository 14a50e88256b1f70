/**
 * Running an external tool (tpm2-tools, openssl) with bytes in and bytes
 * out, injected into the TPM store so that its tests script the tools'
 * answers. Secrets travel through stdin and stdout only — never argv (the
 * process table is world-readable) and never a JavaScript string.
 */
import { spawn } from 'node:child_process';

export interface ExecResult {
  /** The exit code; 127 when the tool is not installed, null when killed by a signal. */
  code: number | null;
  /** Everything the tool wrote to stdout, as bytes the caller owns (and zeroizes when secret). */
  stdout: Uint8Array;
  stderr: Uint8Array;
}

export interface ExecOptions {
  env: NodeJS.ProcessEnv;
  /** Written to stdin, then stdin is closed. Not copied: the caller zeroizes it once the promise settles. */
  input?: Uint8Array;
  /** Kill the tool after this long (default 60 s). */
  timeoutMs?: number;
}

export type Exec = (file: string, args: readonly string[], opts: ExecOptions) => Promise<ExecResult>;

/** node:child_process behind the Exec shape. Chunks are copied into one buffer and zeroized. */
export const nodeExec: Exec = (file, args, opts) =>
  new Promise((resolve) => {
    const child = spawn(file, args, { env: opts.env, stdio: ['pipe', 'pipe', 'pipe'], timeout: opts.timeoutMs ?? 60_000 });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    // A tool that exits before reading its input: EPIPE is its exit code's business.
    child.stdin.on('error', () => undefined);
    let settled = false;
    const done = (code: number | null): void => {
      if (settled) return;
      settled = true;
      resolve({ code, stdout: drain(out), stderr: drain(err) });
    };
    child.on('error', (e: NodeJS.ErrnoException) => {
      err.push(Buffer.from(`${file}: ${e.code ?? 'spawn error'}\n`));
      done(e.code === 'ENOENT' ? 127 : null);
    });
    child.on('close', (code) => done(code));
    if (opts.input) child.stdin.end(Buffer.from(opts.input.buffer, opts.input.byteOffset, opts.input.byteLength));
    else child.stdin.end();
  });

/** One buffer of all chunks; the chunks are zeroized (stdout may be a secret). */
function drain(chunks: Buffer[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
    c.fill(0);
  }
  chunks.length = 0;
  return out;
}

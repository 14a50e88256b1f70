/**
 * tpm2-tools (5.x) through the injected Exec, one tool per step, the TCTI
 * in TPM2TOOLS_TCTI. Without a resource manager (a bare swtpm or
 * /dev/tpm0) every transient object and session a tool leaves behind
 * stays loaded, and the TPM runs out of slots after three (TPM_RC_OBJECT_MEMORY,
 * 0x902): so each step ends with `tpm2_flushcontext -t` and `-s` there
 * (DESIGN §8). Behind tpm2-abrmd or /dev/tpmrm0 the manager flushes them.
 *
 * A failure is classified once, here: the tools missing or no TPM at the
 * TCTI → KeyStoreError TPM_UNAVAILABLE; otherwise Tpm2Failure with the TPM
 * response code (TCG TPM 2.0 Part 2 §6.6 TPM_RC) for the store to judge.
 * stderr of tpm2-tools carries no secret (the unsealed bytes go to stdout).
 */
import type { Logger } from '../../common/log.js';
import type { Exec } from './exec.js';
import { tctiNeedsFlush } from './tpm-params.js';
import { isKeyStoreError, KeyStoreError } from './types.js';

export interface Tpm2ToolsOptions {
  exec: Exec;
  tcti: string;
  /** The environment the tools run in (PATH; DBUS_SESSION_BUS_ADDRESS for a session-bus abrmd). */
  env: NodeJS.ProcessEnv;
  logger: Logger;
}

/** A tool answered with an error that is not "no TPM here". */
export class Tpm2Failure extends Error {
  override readonly name = 'Tpm2Failure';
  constructor(
    readonly tool: string,
    /** The TPM_RC the tool reported (e.g. 0x99d), when it reported one. */
    readonly rc: number | undefined,
    /** The tool's ERROR lines, for messages. */
    readonly detail: string,
  ) {
    super(`${tool} failed${rc !== undefined ? ` (TPM_RC 0x${rc.toString(16)})` : ''}: ${detail}`);
  }
}

/** TPM_RC of format 1 (bit 7) without its parameter/handle/session number (Part 2 §6.6.3). */
export function rcBase(rc: number): number {
  return rc & 0x80 ? rc & 0xbf : rc;
}
export const TPM_RC_POLICY_FAIL = 0x09d;
export const TPM_RC_INTEGRITY = 0x09f;
export const TPM_RC_PCR_CHANGED = 0x128;

export class Tpm2Tools {
  readonly #o: Tpm2ToolsOptions;
  readonly #env: NodeJS.ProcessEnv;
  readonly flushes: boolean;

  constructor(o: Tpm2ToolsOptions) {
    this.#o = o;
    this.#env = { ...o.env, TPM2TOOLS_TCTI: o.tcti };
    this.flushes = tctiNeedsFlush(o.tcti);
  }

  /** Runs one tool and flushes after it (also after a failure). Resolves with its stdout (the caller zeroizes a secret one). */
  async step(tool: string, args: readonly string[], input?: Uint8Array): Promise<Uint8Array> {
    let out: Uint8Array;
    try {
      out = await this.#run(tool, args, input);
    } catch (e) {
      // No TPM there: nothing to flush either.
      if (!isKeyStoreError(e, 'TPM_UNAVAILABLE')) await this.flush();
      throw e;
    }
    await this.flush();
    return out;
  }

  /** Flushes transient objects and loaded sessions when no resource manager does. */
  async flush(): Promise<void> {
    if (!this.flushes) return;
    for (const what of ['-t', '-s']) {
      const r = await this.#o.exec('tpm2_flushcontext', [what], { env: this.#env });
      if (r.code !== 0) this.#o.logger.warn('tpm flush failed', { what, code: r.code });
    }
  }

  async #run(tool: string, args: readonly string[], input?: Uint8Array): Promise<Uint8Array> {
    const r = await this.#o.exec(tool, args, { env: this.#env, ...(input ? { input } : {}) });
    if (r.code === 0) return r.stdout;
    r.stdout.fill(0);
    const text = Buffer.from(r.stderr).toString('utf8');
    if (r.code === 127) throw new KeyStoreError('TPM_UNAVAILABLE', `${tool} is not installed (Debian package tpm2-tools)`);
    if (/could not load tcti|failed to instantiate tcti/i.test(text)) {
      throw new KeyStoreError('TPM_UNAVAILABLE', `no TPM answered at TCTI ${this.#o.tcti} (${tool})`);
    }
    const codes = [...text.matchAll(/\((0x[0-9a-fA-F]{1,8})\)/g)].map((m) => Number(m[1]));
    const rc = codes.find((c) => c > 0xff) ?? codes.at(-1);
    const detail = text
      .split('\n')
      .filter((l) => l.startsWith('ERROR'))
      .map((l) => l.replace(/^ERROR:\s*/, '').slice(0, 160))
      .slice(-2)
      .join('; ');
    throw new Tpm2Failure(tool, rc, detail || `exit code ${r.code}`);
  }
}

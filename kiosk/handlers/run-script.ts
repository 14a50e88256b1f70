/**
 * S280/S290, shared by `script` (relay mode: the center's secured APDUs) and
 * `package` (sealed mode: the APDUs the kiosk built itself): run the APDUs
 * over the card at the station, in memory (relay.ts), send every response
 * as `result`, then zeroize the APDUs and responses and power the card off.
 */
import { toHex } from '../../card/bytes.js';
import { relayScript } from '../relay.js';
import type { CurrentJob, RunnerContext } from '../runner-context.js';
import { powerOff } from './station-moves.js';

export interface ScriptRun {
  job: string;
  attempt: number;
  kind: 'write' | 'inspect';
  stop: 'first-error' | 'never';
  /** Owned by this function from here on: zeroized after the result went out. */
  apdus: Uint8Array[];
  /** 'relay' or 'sealed', for the log. */
  mode: 'relay' | 'sealed';
}

export async function runAndReport(ctx: RunnerContext, run: ScriptRun): Promise<void> {
  const { job, attempt, kind, apdus } = run;
  const total = apdus.length;
  ctx.emit({ type: 'card-authenticated', job, kind, apdus: total });
  ctx.setPhase('writing');
  let responses: Uint8Array[] = [];
  try {
    const started = ctx.clock.now();
    const outcome = await relayScript(ctx.station.transport, apdus, {
      stop: run.stop,
      timeoutMs: ctx.apduTimeoutMs,
      logger: ctx.logger,
      onStep: (index, n) => ctx.emit({ type: 'writing', job, index, total: n }),
    });
    responses = outcome.responses;
    ctx.logger.info('script run', { job, attempt, kind, mode: run.mode, total, answered: responses.length, ms: ctx.clock.now() - started, stopped: outcome.error?.code ?? 'no' });
    await ctx.send('result', {
      job,
      attempt,
      responses: responses.map((r) => toHex(r)),
      ...(outcome.error ? { error: outcome.error } : {}),
    });
  } finally {
    for (const b of apdus) b.fill(0);
    for (const b of responses) b.fill(0);
    await powerOff(ctx);
  }
  ctx.setPhase('verifying');
  ctx.emit({ type: 'verifying', job });
  ctx.touch();
}

/**
 * The job a `script` or `package` may run for: the one the kiosk works on
 * (same job and attempt), with its reader authenticated. Otherwise the
 * message is refused ('wrong-job', 'reader-not-authenticated'), logged, and
 * undefined returned. On success the request's timeout is reset.
 */
export function acceptWrite(ctx: RunnerContext, type: 'script' | 'package', body: { job: string; attempt: number }): CurrentJob | undefined {
  const job = ctx.state.job;
  if (job === undefined || job.id !== body.job || job.attempt !== body.attempt) {
    ctx.refuse(type, 'wrong-job');
    return undefined;
  }
  if (ctx.state.reader !== 'authenticated') {
    ctx.refuse(type, 'reader-not-authenticated');
    return undefined;
  }
  ctx.touch();
  return job;
}

/** Answers a script or package that is not run: no APDU was sent (index 0), the card is powered off. */
export async function reportNotRun(ctx: RunnerContext, job: string, attempt: number, code: 'late' | 'package'): Promise<void> {
  try {
    await ctx.send('result', { job, attempt, responses: [], error: { index: 0, code } });
  } finally {
    await powerOff(ctx);
  }
  ctx.setPhase('verifying');
  ctx.touch();
}

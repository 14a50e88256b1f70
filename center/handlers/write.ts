/**
 * S270 (DESIGN §3 step 6): the card is authenticated and bound to the job;
 * send what the kiosk writes with, in the kiosk's mode (`kiosks.mode`):
 *
 * - relay (default): the whole secured script, built here (card/script/):
 *   the kiosk only relays it and never sees a key or the plain data;
 * - sealed (opt-in per kiosk): a package sealed to the kiosk's X25519 key
 *   (wire/package.ts) holding this card's static keys and the writing data;
 *   the kiosk builds the same script itself.
 *
 * Either way the job moves to WRITING with `script_kind`, and `result` is
 * verified the same way (result.ts): the script is deterministic, so the
 * center rebuilds what the kiosk ran from the KMC, challenge and IU response.
 */
import { toHex, zeroize } from '../../card/bytes.js';
import type { Dgi } from '../../card/dgi.js';
import { buildScript, cardStaticKeys, type CardProfile } from '../../card/script/index.js';
import { encodePackageContent } from '../../wire/package-content.js';
import { sealPackage } from '../../wire/package.js';
import type { InboundContext } from '../bridge.js';
import type { CenterDeps } from '../deps.js';
import { CenterError } from '../errors.js';
import { moveJob, withJob, type JobRow } from '../jobs.js';

export interface WriteInput {
  job: JobRow;
  kind: 'write' | 'inspect';
  profile: CardProfile;
  hostChallenge: Uint8Array;
  iu: Uint8Array;
  /** The writing data; owned (and zeroized) by the caller. */
  dgis: readonly Dgi[];
}

export async function sendWrite(deps: CenterDeps, ctx: InboundContext, w: WriteInput): Promise<void> {
  if (ctx.kiosk.mode === 'sealed') return sendPackage(deps, ctx, w);
  return sendScript(deps, ctx, w);
}

async function toWriting(deps: CenterDeps, w: WriteInput, detail: Record<string, unknown>): Promise<JobRow> {
  return withJob(deps, w.job.id, ['CARD_AUTHENTICATED'], (tx, j) => moveJob(deps, tx, j, 'WRITING', { iu_response: w.iu, script_kind: w.kind }, { kind: w.kind, ...detail }));
}

async function sendScript(deps: CenterDeps, ctx: InboundContext, w: WriteInput): Promise<void> {
  const script = buildScript({ kind: w.kind, profile: w.profile, kmc: deps.keys.issuerMaster, hostChallenge: w.hostChallenge, iuResponse: w.iu, dgis: w.dgis });
  const writing = await toWriting(deps, w, { apdus: script.apdus.length });
  const apdus = script.apdus.map((a) => toHex(a));
  zeroize(...script.apdus);
  deps.logger.child('card').info('script sent', { job: writing.id, attempt: writing.attempt, kind: w.kind, apdus: apdus.length });
  await ctx.send('script', { job: writing.id, attempt: writing.attempt, kind: w.kind, stop: script.stop, apdus, summary: script.summary }, { deadlineMs: deps.limits.scriptDeadlineMs });
}

async function sendPackage(deps: CenterDeps, ctx: InboundContext, w: WriteInput): Promise<void> {
  const recipient = ctx.kiosk.sealing_public_key;
  // The schema's CHECK (migration 004) keeps sealed mode and a key together: this is a broken row.
  if (recipient === null) throw new CenterError('DATA_INTEGRITY', `kiosk ${ctx.kiosk.id} is in sealed mode without a sealing key`);
  const deadline = deps.clock.now() + Math.min(deps.limits.packageDeadlineMs, deps.limits.scriptDeadlineMs);
  const binding = { kiosk: ctx.kiosk.id, job: w.job.id, attempt: w.job.attempt, kind: w.kind, profile: w.profile.name, deadline };
  const keys = cardStaticKeys(deps.keys.issuerMaster, w.iu);
  let plain: Uint8Array | undefined;
  let sealed;
  try {
    plain = encodePackageContent({ keys, dgis: [...w.dgis] });
    sealed = sealPackage(plain, recipient, binding, deps.random);
  } finally {
    zeroize(keys.enc, keys.mac, keys.dek, plain);
  }
  const writing = await toWriting(deps, w, { mode: 'sealed' });
  deps.logger.child('card').info('package sent', { job: writing.id, attempt: writing.attempt, kind: w.kind, bytes: sealed.ct.length });
  await ctx.send('package', { job: writing.id, attempt: writing.attempt, kind: w.kind, profile: w.profile.name, deadline, sealed }, { deadlineMs: deps.limits.scriptDeadlineMs });
}

/**
 * `package` (S270/S280, sealed mode; DESIGN §3 "Sealed mode"): the center
 * sent this card's static keys and the job's writing data, sealed to this
 * kiosk's X25519 key (wire/package.ts). The kiosk
 *
 * 1. checks that the package is for the job, attempt and card session it
 *    holds, with an authenticated reader (as for `script`);
 * 2. opens it in memory with the sealing key from its key store — refused
 *    when late (its own deadline, bound into the AEAD), sealed to another
 *    kiosk, or tampered;
 * 3. builds the secured script itself (card/script/, the very builder the
 *    center uses in relay mode, over the session its INITIALIZE UPDATE
 *    opened), zeroizes the keys and the writing data, and
 * 4. runs it and answers `result` (run-script.ts), which the center
 *    verifies as it does in relay mode.
 *
 * A refused package is logged (`wire refused`, the reason) and answered with
 * a `result` that ran nothing (error 'late' or 'package'): the center
 * decides (re-run or fail), and nothing was written to the card.
 */
import { buildScript, isScriptError, profileByName, type BuiltScript } from '../../card/script/index.js';
import { isWireError } from '../../wire/errors.js';
import type { DownBody } from '../../wire/messages.js';
import { decodePackageContent, zeroizePackageContent, type PackageContent } from '../../wire/package-content.js';
import { openPackage } from '../../wire/package.js';
import type { RunnerContext } from '../runner-context.js';
import { acceptWrite, reportNotRun, runAndReport } from './run-script.js';

export async function onPackage(ctx: RunnerContext, body: DownBody<'package'>): Promise<void> {
  const job = acceptWrite(ctx, 'package', body);
  if (job === undefined) return;
  const refuse = async (reason: string, code: 'late' | 'package'): Promise<void> => {
    ctx.refuse('package', reason);
    await reportNotRun(ctx, body.job, body.attempt, code);
  };
  // After a restart the kiosk no longer holds the session its IU opened: the center re-runs from insert-card.
  if (job.card === undefined) return refuse('no-card-session', 'package');
  if (ctx.sealingKey === undefined) return refuse('no-sealing-key', 'package');

  const script = openAndBuild(ctx, body, job.card);
  if (typeof script === 'string') return refuse(script, script === 'late' ? 'late' : 'package');
  await runAndReport(ctx, { job: body.job, attempt: body.attempt, kind: body.kind, stop: script.stop, apdus: script.apdus, mode: 'sealed' });
}

/** The built script, or the refusal reason. Every plaintext byte is zeroized before returning. */
function openAndBuild(ctx: RunnerContext, body: DownBody<'package'>, card: { hostChallenge: Uint8Array; iuResponse: Uint8Array }): BuiltScript | string {
  let plain: Uint8Array | undefined;
  let content: PackageContent | undefined;
  try {
    plain = openPackage(body.sealed, ctx.sealingKey!, { kiosk: ctx.kioskId, job: body.job, attempt: body.attempt, kind: body.kind, profile: body.profile, deadline: body.deadline }, ctx.clock.now());
    ctx.watchSecrets?.('package plaintext', [plain]);
    content = decodePackageContent(plain);
    ctx.watchSecrets?.('package content', [content.keys.enc, content.keys.mac, content.keys.dek, ...content.dgis.map((d) => d.value)]);
    return buildScript({ kind: body.kind, profile: profileByName(body.profile), cardKeys: content.keys, hostChallenge: card.hostChallenge, iuResponse: card.iuResponse, dgis: content.dgis });
  } catch (e) {
    if (isWireError(e)) return e.reason;
    // A package that opened but cannot make a script for this card (unknown profile, keys that do not fit the card).
    if (isScriptError(e)) {
      ctx.logger.warn('package unusable', { job: body.job, code: e.code });
      return 'package-unusable';
    }
    throw e;
  } finally {
    plain?.fill(0);
    if (content !== undefined) zeroizePackageContent(content);
  }
}

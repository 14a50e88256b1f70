/**
 * S290 (DESIGN §3 step 7): every response to the script. The center
 * rebuilds the secure channel from what it stored (it keeps no session
 * state in memory), verifies each R-MAC and the read-backs, and decides:
 *
 * - 'issued'           → ISSUED exactly once; the kiosk ejects the card.
 * - write 'failed'     → re-run: authenticate the same card again and
 *                        INSPECT it first (the last block may have landed).
 * - 'not-personalized' → re-run: WRITE again (the card allows a
 *                        re-personalization until the last block commits).
 * - 'mismatch'         → FAILED: the card holds other data; it is captured.
 * - attempts exhausted → FAILED; the card is captured.
 *
 * A half-written card is never ejected: the kiosk ejects only on `issued`,
 * which follows only a verified, complete read-back.
 */
import { hex, zeroize } from '../../card/bytes.js';
import type { UpBody } from '../../wire/messages.js';
import { getApplication } from '../applications.js';
import type { InboundContext } from '../bridge.js';
import { openDgis } from '../data-crypto.js';
import type { CenterDeps } from '../deps.js';
import { CenterError } from '../errors.js';
import { moveJob, withJob } from '../jobs.js';
import { profileByName } from '../../card/script/profile.js';
import { verifyResult } from '../../card/script/verify.js';
import { currentJob } from './current-job.js';
import { sendInsertCard, sendIssued } from './insert-card.js';

export async function onResult(deps: CenterDeps, ctx: InboundContext, body: UpBody<'result'>): Promise<void> {
  const log = deps.logger.child('result');
  const job = await currentJob(deps, ctx, body.job, body.attempt, ['WRITING']);
  if (!job) return;
  const app = await getApplication(deps.db, job.application_id);
  if (!app || !job.host_challenge || !job.iu_response || !job.script_kind) throw new CenterError('DATA_INTEGRITY', `job ${job.id} lacks what its script was built from`);
  const kind = job.script_kind;
  await withJob(deps, job.id, ['WRITING'], (tx, j) =>
    moveJob(deps, tx, j, 'VERIFYING', {}, { responses: body.responses.length, error: body.error ? `${body.error.code}@${body.error.index}` : null }),
  );

  const responses = body.responses.map((r) => hex(r));
  const dgis = openDgis(deps.keys.dataKey, app.id, app.data_nonce, app.data_enc);
  let verdict;
  try {
    verdict = verifyResult({
      kind,
      profile: profileByName(app.profile),
      kmc: deps.keys.issuerMaster,
      hostChallenge: job.host_challenge,
      iuResponse: job.iu_response,
      dgis,
      responses,
      ...(body.error ? { error: body.error } : {}),
    });
  } finally {
    for (const d of dgis) zeroize(d.value);
    zeroize(...responses);
  }
  const detail = 'detail' in verdict ? verdict.detail : '';
  log.info('result verified', { job: job.id, attempt: job.attempt, kind, outcome: verdict.outcome, detail });

  if (verdict.outcome === 'issued') {
    await withJob(deps, job.id, ['VERIFYING'], (tx, j) => moveJob(deps, tx, j, 'ISSUED', {}, { kind }));
    await sendIssued(deps, ctx, job.id);
    return;
  }
  if (verdict.outcome === 'mismatch') {
    await withJob(deps, job.id, ['VERIFYING'], (tx, j) => moveJob(deps, tx, j, 'FAILED', { reason: 'verification' }, { detail }));
    await ctx.send('failed', { job: job.id, reason: 'verification' });
    return;
  }
  if (job.attempt >= deps.limits.maxAttempts) {
    await withJob(deps, job.id, ['VERIFYING'], (tx, j) => moveJob(deps, tx, j, 'FAILED', { reason: 'attempts-exhausted' }, { outcome: verdict.outcome, detail }));
    await ctx.send('failed', { job: job.id, reason: 'attempts-exhausted' });
    return;
  }
  const nextKind = verdict.outcome === 'not-personalized' ? 'write' : 'inspect';
  const rerun = await withJob(deps, job.id, ['VERIFYING'], (tx, j) =>
    moveJob(deps, tx, j, 'CARD_AUTHENTICATED', { attempt: j.attempt + 1, next_kind: nextKind, host_challenge: deps.random(8) }, { reason: 're-run', outcome: verdict.outcome, detail }),
  );
  await sendInsertCard(deps, ctx, rerun, true);
}

/**
 * When a handler fails for a reason of the center's own (stored data that no
 * longer authenticates, a database error), the job it was working on must
 * not wait forever with the kiosk holding a card. The failure is logged and
 * audited with its code; a reservation goes back to PENDING, a job holding a
 * card FAILS ('internal') and the kiosk is told, so it captures the card.
 * A lost race (JOB_CONFLICT: the job moved on meanwhile) is only logged: the
 * other message already decided.
 */
import type { UpMessage } from '../../wire/messages.js';
import type { InboundContext } from '../bridge.js';
import type { CenterDeps } from '../deps.js';
import { isCenterError } from '../errors.js';
import { holdsCard } from '../job-state.js';
import { moveJob, withJob } from '../jobs.js';

export async function onHandlerError(deps: CenterDeps, ctx: InboundContext, msg: UpMessage, e: unknown): Promise<void> {
  const log = deps.logger.child('handlers');
  const code = (e as { code?: unknown }).code;
  const job = 'job' in msg.body ? msg.body.job : undefined;
  if (isCenterError(e, 'JOB_CONFLICT')) {
    log.info('message lost a race with another', { kiosk: ctx.kiosk.id, type: msg.type, job });
    return;
  }
  log.error('handler failed', { kiosk: ctx.kiosk.id, type: msg.type, job, code: typeof code === 'string' ? code : 'unknown', error: e });
  await deps.audit.record(deps.db, { kind: 'handler.failed', kiosk: ctx.kiosk.id, ...(job ? { job } : {}), detail: { type: msg.type, code: typeof code === 'string' ? code : 'unknown' } });
  if (job === undefined) return;
  const ended = await withJob(deps, job, ['RESERVED', 'CARD_AUTHENTICATED', 'WRITING', 'VERIFYING'], (tx, j) => {
    if (j.kiosk_id !== ctx.kiosk.id) return Promise.resolve(undefined);
    return holdsCard(j.state)
      ? moveJob(deps, tx, j, 'FAILED', { reason: 'internal' }, { reason: 'internal' })
      : moveJob(deps, tx, j, 'PENDING', { kiosk_id: null, session_id: null }, { reason: 'internal' });
  }).catch((err: unknown) => {
    log.info('job not ended after the failure', { job, error: err });
    return undefined;
  });
  if (ended) await ctx.send('failed', { job, reason: 'internal' });
}

/**
 * Finds the job a kiosk message refers to and checks that it is this kiosk's,
 * in this session, at this attempt and in an expected state. A message that
 * does not fit (a duplicate delivery, a late answer to an attempt the center
 * has moved past) is dropped and audited, never acted upon: every message
 * may arrive twice (DESIGN §5).
 */
import type { InboundContext } from '../bridge.js';
import type { CenterDeps } from '../deps.js';
import type { JobState } from '../job-state.js';
import { getJob, type JobRow } from '../jobs.js';

export async function currentJob(deps: CenterDeps, ctx: InboundContext, id: string, attempt: number, states: readonly JobState[]): Promise<JobRow | undefined> {
  const job = await getJob(deps.db, id);
  const why = !job
    ? 'unknown-job'
    : job.kiosk_id !== ctx.kiosk.id
      ? 'other-kiosk'
      : job.session_id !== ctx.session
        ? 'other-session'
        : job.attempt !== attempt
          ? 'stale-attempt'
          : !states.includes(job.state)
            ? 'wrong-state'
            : undefined;
  if (why === undefined) return job;
  deps.logger.child('jobs').warn('message for a job not in play dropped', { kiosk: ctx.kiosk.id, job: id, attempt, why });
  await deps.audit.record(deps.db, { kind: 'job.stale-message', kiosk: ctx.kiosk.id, job: id, detail: { attempt, why } });
  // The job is not this kiosk's (released, or taken over after its reservation expired): say so, or the kiosk
  // waits for it forever. Never for a stale copy about a job this kiosk still holds or finished (duplicates).
  if (job && (why === 'other-kiosk' || job.state === 'PENDING')) await ctx.send('failed', { job: id, reason: 'voided' });
  return undefined;
}

/** S240: ask the kiosk for a card (or the job's card, when recovering), with the attempt's fresh host challenge. */
import { toHex } from '../../card/bytes.js';
import type { InboundContext } from '../bridge.js';
import type { CenterDeps } from '../deps.js';
import { getJob, type JobRow } from '../jobs.js';
import { getApplication } from '../applications.js';
import { profileByName } from '../../card/script/profile.js';
import { CenterError } from '../errors.js';

/** S290 accepted: eject the card with this KDD (the kiosk checks it is the card at its station). */
export async function sendIssued(deps: CenterDeps, ctx: InboundContext, jobId: string): Promise<void> {
  const job = await getJob(deps.db, jobId);
  const app = job ? await getApplication(deps.db, job.application_id) : undefined;
  if (!job?.card_serial || !app) throw new CenterError('DATA_INTEGRITY', `job ${jobId} has no card or application`);
  await ctx.send('issued', { job: job.id, card: job.card_serial, sdAid: toHex(profileByName(app.profile).sdAid) });
}

export async function sendInsertCard(deps: CenterDeps, ctx: InboundContext, job: JobRow, recover: boolean): Promise<void> {
  const app = await getApplication(deps.db, job.application_id);
  if (!app || !job.host_challenge) throw new CenterError('DATA_INTEGRITY', `job ${job.id} has no application or challenge`);
  const profile = profileByName(app.profile);
  await ctx.send('insert-card', {
    job: job.id,
    attempt: job.attempt,
    challenge: toHex(job.host_challenge),
    sdAid: toHex(profile.sdAid),
    kvn: profile.kvn,
    recover,
  });
}

/**
 * The console's writes (docs/screens.md): revoke a kiosk (admin), void a
 * job and add applications (operator). Each runs the same code as its CLI
 * command (the running center's revokeKiosk: fleet/revoke.ts, jobs.ts voidJob, applications.ts
 * addApplications with application-input.ts's parser), then is audited as
 * `console.action` with the actor, in the action's own transaction. Bodies
 * are validated here, once.
 */
import { z } from 'zod';
import { zeroize } from '../../card/bytes.js';
import { ID_PATTERN } from '../../wire/messages.js';
import { addApplications } from '../applications.js';
import { parseApplicationsJson } from '../application-input.js';
import type { AuditValue } from '../audit/types.js';
import { getJob, voidJob } from '../jobs.js';
import { setKioskStatus } from '../registry.js';
import type { Sql } from '../store/db.js';
import type { ConsoleDeps } from './deps.js';
import { ConsoleError } from './errors.js';

const reasonBody = z.strictObject({ reason: z.string().regex(/^[^\p{Cc}]{1,200}$/u, 'reason: 1..200 characters, no control characters') });
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** The `{ reason }` body of revoke and void. */
export function parseReason(body: unknown): string {
  const r = reasonBody.safeParse(body);
  if (!r.success) throw new ConsoleError('bad-request', r.error.issues[0]?.message ?? 'body: { "reason": "…" }');
  return r.data.reason;
}

/** The `console.action` entry, appended inside the action's own transaction: the change and who made it are recorded together or not at all. */
export function auditAction(deps: ConsoleDeps, tx: Sql, actor: string, action: string, detail: Record<string, AuditValue>, target: { kiosk?: string; job?: string } = {}): Promise<unknown> {
  return deps.audit.append(tx, { kind: 'console.action', ...target, detail: { actor, action, ...detail } });
}

export async function revokeKiosk(deps: ConsoleDeps, actor: string, id: string, reason: string): Promise<{ kiosk: string; status: 'revoked' }> {
  if (!ID_PATTERN.test(id)) throw new ConsoleError('not-found', 'no such kiosk');
  // setKioskStatus decides in one conditional UPDATE: KIOSK_UNKNOWN (404), KIOSK_UNCHANGED when already revoked (409 conflict).
  // The running center's path also puts the kiosk's certificates on the CRL and kicks it (docs/provisioning.md §4).
  const also = async (tx: Sql): Promise<void> => void (await auditAction(deps, tx, actor, 'kiosk.revoke', { reason }, { kiosk: id }));
  if (deps.revokeKiosk) await deps.revokeKiosk(id, reason, also);
  else await setKioskStatus(deps, id, 'revoked', reason, also);
  return { kiosk: id, status: 'revoked' };
}

export async function voidJobAction(deps: ConsoleDeps, actor: string, id: string, reason: string): Promise<{ job: string; state: 'VOIDED' }> {
  if (!UUID.test(id) || !(await getJob(deps.db, id))) throw new ConsoleError('not-found', 'no such job');
  // voidJob throws JOB_CONFLICT for a job that has ended (mapped to 409).
  await voidJob(deps, id, reason, async (tx, job) => void (await auditAction(deps, tx, actor, 'job.void', { reason }, { job: id, ...(job.kiosk_id ? { kiosk: job.kiosk_id } : {}) })));
  return { job: id, state: 'VOIDED' };
}

/** The body is the JSON `cardline center applications add` reads; all are added or none. */
export async function addApplicationsAction(deps: ConsoleDeps, actor: string, text: string): Promise<{ added: string[] }> {
  const apps = parseApplicationsJson(text);
  try {
    const added = await addApplications({ db: deps.db, audit: deps.audit, clock: deps.clock, dataKey: deps.dataKey, random: deps.random, scrypt: deps.scrypt }, apps, async (tx, ids) => void (await auditAction(deps, tx, actor, 'applications.add', { count: ids.length })));
    return { added };
  } finally {
    for (const a of apps) for (const d of a.dgis) zeroize(d.value);
  }
}

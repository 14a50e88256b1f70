/**
 * Reports that change no job: reader authentication results and where a
 * card went. Both are audited; a reader's last report is also kept in
 * reader_status for the console's fleet view.
 */
import type { UpBody } from '../../wire/messages.js';
import type { InboundContext } from '../bridge.js';
import type { CenterDeps } from '../deps.js';

export async function onReaderReport(deps: CenterDeps, ctx: InboundContext, body: UpBody<'reader-report'>): Promise<void> {
  const log = deps.logger.child('readers');
  if (body.status === 'refused') log.warn('kiosk refused a reader', { kiosk: ctx.kiosk.id, reader: body.reader, reason: body.reason });
  else log.info('reader authenticated', { kiosk: ctx.kiosk.id, reader: body.reader });
  await deps.db.transaction(async (tx) => {
    await tx.query(
      `INSERT INTO reader_status (kiosk_id, reader_id, state, reason, at) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (kiosk_id, reader_id) DO UPDATE SET state = EXCLUDED.state, reason = EXCLUDED.reason, at = EXCLUDED.at`,
      [ctx.kiosk.id, body.reader, body.status, body.reason ?? null, new Date(deps.clock.now())],
    );
    await deps.audit.append(tx, { kind: `reader.${body.status}`, kiosk: ctx.kiosk.id, detail: { reader: body.reader, reason: body.reason ?? null } });
  });
}

export async function onCardDone(deps: CenterDeps, ctx: InboundContext, body: UpBody<'card-done'>): Promise<void> {
  deps.logger.child('cards').info('card left the station', { kiosk: ctx.kiosk.id, job: body.job, action: body.action, ok: body.ok, error: body.error });
  await deps.db.transaction(async (tx) => {
    // Recorded on the job (this kiosk's only), so a re-sent `issued` is not needed once the card has gone.
    if (body.ok) await tx.query('UPDATE jobs SET card_done = $3 WHERE id = $1 AND kiosk_id = $2', [body.job, ctx.kiosk.id, body.action]);
    await deps.audit.append(tx, { kind: `card.${body.action}`, kiosk: ctx.kiosk.id, job: body.job, detail: { ok: body.ok, error: body.error ?? null } });
  });
}

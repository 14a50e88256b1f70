/** One handler per message type (the MQTT.js pattern), dispatched from one switch. */
import type { UpMessage } from '../../wire/messages.js';
import type { Dispatch, InboundContext } from '../bridge.js';
import type { CenterDeps } from '../deps.js';
import { onCsr } from '../fleet/csr.js';
import { onRenewFailed, onWiped } from '../fleet/handlers.js';
import { onCard } from './card.js';
import { onHello } from './hello.js';
import { onCardDone, onReaderReport } from './reports.js';
import { onRequest } from './request.js';
import { onResult } from './result.js';
import { onHandlerError } from './handler-error.js';

export function dispatcher(deps: CenterDeps): Dispatch {
  const handle = route(deps);
  return async (ctx: InboundContext, msg: UpMessage): Promise<void> => {
    try {
      await handle(ctx, msg);
    } catch (e) {
      await onHandlerError(deps, ctx, msg, e);
    }
  };
}

function route(deps: CenterDeps): Dispatch {
  return async (ctx: InboundContext, msg: UpMessage): Promise<void> => {
    // A kiosk revoked mid-session gets nothing but the refusal (hello says the same);
    // a decommissioned one may still report its wipe (docs/provisioning.md §4).
    if (ctx.kiosk.status !== 'active' && msg.type !== 'hello' && !(msg.type === 'wiped' && ctx.kiosk.status === 'decommissioned')) {
      deps.logger.child('registry').warn('message from a revoked kiosk refused', { kiosk: ctx.kiosk.id, type: msg.type, reason: 'kiosk-revoked' });
      await deps.audit.record(deps.db, { kind: 'kiosk.refused', kiosk: ctx.kiosk.id, detail: { reason: 'kiosk-revoked', type: msg.type } });
      await ctx.send('refused', { reason: 'kiosk-revoked', message: 'this kiosk is revoked: issuance is not possible here' });
      return;
    }
    switch (msg.type) {
      case 'hello':
        return onHello(deps, ctx, msg.body);
      case 'reader-report':
        return onReaderReport(deps, ctx, msg.body);
      case 'request':
        return onRequest(deps, ctx, msg.body);
      case 'card':
        return onCard(deps, ctx, msg.body);
      case 'result':
        return onResult(deps, ctx, msg.body);
      case 'card-done':
        return onCardDone(deps, ctx, msg.body);
      // Fleet messages (docs/provisioning.md §3–4): handled in ../fleet/csr.ts and ../fleet/handlers.ts.
      case 'csr':
        return onCsr(deps, ctx, msg.body);
      case 'renew-failed':
        return onRenewFailed(deps, ctx, msg.body);
      case 'wiped':
        return onWiped(deps, ctx, msg.body);
    }
  };
}

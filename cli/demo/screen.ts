/** Turns kiosk events into the demo's live lines (one per step; identifiers and counts only). */
import type { KioskEvent } from '../../kiosk/events.js';

export function describeEvent(e: KioskEvent): string | undefined {
  switch (e.type) {
    case 'connected':
      return 'connected to the center (mutual TLS)';
    case 'disconnected':
      return 'link down; reconnecting';
    case 'session-open':
      return 'session opened (hello sent)';
    case 'reader-authenticated':
      return `reader ${e.reader} authenticated against the center-signed registry`;
    case 'reader-refused':
      return `reader ${e.reader} REFUSED (${e.reason})`;
    case 'refused':
      return `center refused this kiosk: ${e.reason} (${e.message})`;
    case 'request-sent':
      return 'S230 application ID and code sent';
    case 'request-refused':
      return `request refused: ${e.reason}${e.attemptsLeft !== undefined ? ` (${e.attemptsLeft} tries left)` : ''}`;
    case 'insert-card':
      return `S240 job ${short(e.job)} attempt ${e.attempt}: ${e.recover ? 'using the card at the station' : 'card fed from the hopper'}`;
    case 'card-read':
      return 'S250 card answered INITIALIZE UPDATE; center authenticating it';
    case 'card-authenticated':
      return `S260 card authenticated; ${e.kind} script of ${e.apdus} APDUs received`;
    case 'writing':
      return `S270 APDU ${e.index}/${e.total} done`;
    case 'verifying':
      return 'S290 responses sent; center verifying R-MACs and read-back';
    case 'card-refused':
      return `S255 card refused (${e.reason}); taking another`;
    case 'card-captured':
      return `card captured to the reject bin${e.ok ? '' : ' (mechanism error)'}`;
    case 'issued':
      return `ISSUED: card ejected to the customer${e.ok ? '' : ' (mechanism error)'}`;
    case 'failed':
      return `job failed: ${e.reason}`;
    case 'error':
      return `error: ${e.code}`;
  }
}

function short(job: string): string {
  return job.slice(0, 8);
}

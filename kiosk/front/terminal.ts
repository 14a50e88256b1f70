/**
 * The terminal front end: the kiosk's screen as lines of text (stdout) and
 * its keypad as lines typed on stdin. Each KioskEvent becomes one human
 * line; the customer types an application ID, then the one-time code,
 * which is never echoed or printed (line-input.ts reads it without echo on
 * a TTY).
 */
import type { KioskAgent, KioskOutcome } from '../agent.js';
import type { KioskEvent, KioskEventSink } from '../events.js';
import type { LineInput } from './line-input.js';

const REQUEST_REASONS: Record<string, string> = {
  'bad-credentials': 'wrong application ID or code',
  locked: 'too many wrong codes: this application is locked',
  'not-pending': 'nothing to issue for this application',
  busy: 'the kiosk is busy',
  'no-reader': 'no card reader available',
  'reader-refused': 'issuance not possible here (card reader refused)',
  'application-invalid': 'that is not an application ID',
  'code-invalid': 'that is not a valid code',
  offline: 'no connection to the issuing center',
  stopped: 'the kiosk is shutting down',
};

/** Text from the center may not steer the terminal: control characters go. */
function printable(text: string): string {
  return text.replace(/[\p{Cc}\p{Cf}]/gu, ' ');
}

export function describeEvent(e: KioskEvent): string {
  switch (e.type) {
    case 'connected':
      return 'Connected to the issuing center.';
    case 'disconnected':
      return 'Connection to the issuing center lost; reconnecting...';
    case 'session-open':
      return 'Session open; checking the card reader...';
    case 'reader-authenticated':
      return `Card reader ${e.reader} authenticated. Ready.`;
    case 'reader-refused':
      return `Issuance not possible here: card reader ${e.reader} refused (${e.reason}).`;
    case 'refused':
      return `Issuance not possible here: ${e.reason}. ${printable(e.message)}`.trimEnd();
    case 'request-sent':
      return 'Checking your request...';
    case 'request-refused': {
      const left = e.attemptsLeft !== undefined ? ` (${e.attemptsLeft} attempts left)` : '';
      return `Request refused: ${REQUEST_REASONS[e.reason] ?? e.reason}${left}.`;
    }
    case 'insert-card':
      return e.recover ? 'Resuming the card at the station...' : 'Taking a blank card...';
    case 'card-read':
      return 'Card read; the issuing center is checking it...';
    case 'card-authenticated':
      return `Card authenticated; ${e.kind === 'write' ? 'writing' : 'checking'} (${e.apdus} steps)...`;
    case 'writing':
      return `  step ${e.index}/${e.total}`;
    case 'verifying':
      return 'Verifying...';
    case 'card-refused':
      return `Card refused (${e.reason}); trying another.`;
    case 'card-captured':
      return e.ok ? 'The card was kept by the machine.' : 'The card could not be moved: please call staff.';
    case 'issued':
      return e.ok ? 'Done: please take your card.' : 'Your card is issued but stuck in the machine: please call staff.';
    case 'failed':
      return `Issuance failed (${e.reason}). Nothing was handed out; please try again later or call staff.`;
    case 'error':
      return e.code === 'hopper-empty'
        ? 'No blank cards left: please call staff.'
        : e.code === 'timeout'
          ? 'The issuing center did not answer in time.'
          : `Error: ${e.code}.`;
  }
}

export function terminalEvents(write: (text: string) => void): KioskEventSink {
  return (e) => write(`${describeEvent(e)}\n`);
}

export interface TerminalOptions {
  agent: Pick<KioskAgent, 'request'>;
  input: LineInput;
  write: (text: string) => void;
  /** Serve this application only (the code is still read from the input). */
  application?: string;
  /** Stop after one customer. */
  once?: boolean;
  signal?: AbortSignal;
}

/** Serves customers until EOF, abort, or one customer with `once`; resolves with the last outcome. */
export async function runTerminal(opts: TerminalOptions): Promise<KioskOutcome | undefined> {
  let last: KioskOutcome | undefined;
  const onAbort = (): void => opts.input.close();
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    while (opts.signal?.aborted !== true) {
      let application = opts.application;
      if (application === undefined) {
        opts.write('Application ID: ');
        application = (await opts.input.readLine())?.trim();
        if (application === undefined) break;
        if (application === '') continue;
      }
      opts.write('One-time code: ');
      const code = (await opts.input.readLine({ secret: true }))?.trim();
      opts.write('\n');
      if (code === undefined) break;
      last = await opts.agent.request(application, code);
      opts.write(`Result: ${last.outcome}${last.reason !== undefined ? ` (${last.reason})` : ''}\n`);
      if (opts.once === true || opts.application !== undefined) break;
    }
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
  }
  return last;
}

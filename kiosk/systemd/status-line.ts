/**
 * The STATUS= line systemd shows for the kiosk (`systemctl status
 * cardline-kiosk`, sd_notify(3) STATUS=): the runner's phase in words, and
 * for a refusal its reason code. Reason codes come from the center or the
 * reader check; they are codes, never card data, and are reduced to
 * [a-z0-9-] here before they reach the journal.
 */

export interface StatusInput {
  /** KioskAgent.state(): offline, awaiting-welcome, ready, requesting, card, writing, verifying, refused, reader-refused, stopped. */
  phase: string;
  /** READY=1 has been sent (before that, a 'ready' phase is still start-up). */
  ready: boolean;
  /** The last refusal reason (S310) the agent reported, if any. */
  refusedReason?: string;
  /** The last reader refusal reason, if any. */
  readerReason?: string;
  /** The runner is wedged (agent.health): stuck in one handler with no progress. */
  wedged?: boolean;
}

const PHASE_TEXT: Record<string, string> = {
  offline: 'offline: connecting to the issuing center',
  'awaiting-welcome': 'connected: waiting for the center and the card reader check',
  ready: 'ready: waiting for a customer',
  requesting: 'serving a customer: checking the request',
  card: 'serving a customer: taking and authenticating a card',
  writing: 'writing card',
  verifying: 'verifying the written card',
  stopped: 'stopping',
};

/** A reason code as it may appear in STATUS. */
export function reasonCode(reason: string | undefined): string {
  const code = (reason ?? '').toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 40);
  return code === '' ? 'no reason given' : code;
}

export function statusLine(s: StatusInput): string {
  // No running count of seconds: the line would change, and be sent, every poll.
  if (s.wedged === true) return `wedged: no progress in phase ${reasonCode(s.phase)}; watchdog pings withheld`;
  if (s.phase === 'refused') return `refused: ${reasonCode(s.refusedReason)} (issuance not possible here)`;
  if (s.phase === 'reader-refused') return `reader refused: ${reasonCode(s.readerReason)}`;
  if (s.phase === 'ready' && !s.ready) return PHASE_TEXT['awaiting-welcome']!;
  return PHASE_TEXT[s.phase] ?? `phase ${reasonCode(s.phase)}`;
}

/**
 * How long the session runner may go without progress before the
 * supervisor calls it wedged and withholds the watchdog (supervisor.ts).
 *
 * The agent's own default (kiosk/agent.ts health()) is twice the APDU
 * timeout + 5 s: every card command has that timeout, so a handler that
 * exceeds it is stuck. One designed wait is longer and shows no progress
 * while it lasts: on a plain PC/SC reader, feed() waits for the customer to
 * insert a card for up to 60 s (hardware/pcsc/pcsc-station.ts,
 * `feedTimeoutMs` default, which the kiosk's openStation keeps). A customer
 * who walks away must end as a `TIMEOUT`, not as a watchdog restart, so for
 * such a station that wait is added. The serial dispenser's moves (5 s) and
 * the simulator's fit the default.
 */
import { PCSC_FEED_TIMEOUT_MS } from '../../hardware/pcsc/pcsc-station.js';
import type { KioskConfig } from '../config.js';

/** PcscStation's default wait for the customer's card. */
export const PCSC_CUSTOMER_WAIT_MS = PCSC_FEED_TIMEOUT_MS;

export function wedgeThresholdMs(config: Pick<KioskConfig, 'apduTimeoutMs' | 'station'>): number {
  const base = 2 * config.apduTimeoutMs + 5000;
  return config.station.kind === 'pcsc' ? base + PCSC_CUSTOMER_WAIT_MS : base;
}

/** What every handler is given: injected storage, log, clock, randomness and keys. */
import type { Clock } from '../common/clock.js';
import type { Logger } from '../common/log.js';
import type { AuditLog } from './audit/types.js';
import type { ScryptParams } from './code-hash.js';
import type { FleetState } from './fleet/state.js';
import type { CenterKeys } from './keys.js';
import type { RateLimiter } from './rate-limit.js';
import type { Db } from './store/db.js';

export interface CenterLimits {
  /** Attempts (authenticate + script) per job before it FAILS: write, inspect, write, inspect… */
  maxAttempts: number;
  /** Cards refused for one job (counterfeit, unreadable) before the reservation is released. */
  maxCardsRefused: number;
  /** Lifetime of a script message: a kiosk that comes back late never runs a stale script (DESIGN §5). */
  scriptDeadlineMs: number;
  /**
   * Lifetime of a sealed-mode package (its own deadline, bound into its
   * AEAD; wire/package.ts): at most the script's, since the envelope carrying
   * it lives `scriptDeadlineMs`. The kiosk refuses to open it after.
   */
  packageDeadlineMs: number;
  /** Lifetime of other down messages. */
  deadlineMs: number;
  /** Customer requests per kiosk per minute. */
  requestsPerMinute: number;
  /** A reservation without a card older than this is released when someone else asks for the application. */
  reservationTtlMs: number;
  /** How often the center looks for reader-registry changes made by another process, to push them (registry-push.ts); 0: never. */
  registryPollMs: number;
  /**
   * How often the fleet watcher (fleet/watcher.ts) looks for connected
   * kiosks that are no longer active (kicked), a changed `ca/crl.pem`
   * (reloaded) and operators' renewal requests; 0: never (revocations by
   * this process still kick at once).
   */
  fleetPollMs: number;
  /** A kiosk whose current certificate ends within this many days is asked to renew (docs/provisioning.md §3). */
  renewBeforeDays: number;
  /** Validity of a renewed kiosk certificate, in days. */
  certDays: number;
  /**
   * Messages a bridge takes off the broker and has not handled yet, at most
   * (center/bridge-intake.ts): past it the bridge takes no more until one
   * is handled, and the broker holds the rest (backpressure).
   */
  maxInFlight: number;
  /**
   * Longest wait of a kiosk's message for its predecessor, which another
   * worker (or the broker, behind a busy worker) may hold; then it is handled
   * anyway. The message's own deadline ends the wait first (center/bridge.ts
   * `waitEnd`): this caps it for a deadline far ahead. Default 30 s, the
   * kiosk's up-message lifetime (kiosk/link.ts UP_DEADLINE_MS). With the
   * embedded broker messages arrive in order and it is 0 (center.ts gapWaitFor).
   */
  gapWaitMs: number;
}

export const DEFAULT_LIMITS: CenterLimits = { maxAttempts: 6, maxCardsRefused: 3, scriptDeadlineMs: 20_000, packageDeadlineMs: 20_000, deadlineMs: 30_000, requestsPerMinute: 30, reservationTtlMs: 5 * 60_000, registryPollMs: 2_000, fleetPollMs: 250, renewBeforeDays: 30, certDays: 90, maxInFlight: 64, gapWaitMs: 30_000 };

export interface CenterDeps {
  db: Db;
  audit: AuditLog;
  clock: Clock;
  logger: Logger;
  keys: CenterKeys;
  random: (n: number) => Uint8Array;
  scrypt: ScryptParams;
  limits: CenterLimits;
  /** Per-kiosk request limiter (rate-limit.ts). */
  requestLimiter: RateLimiter;
  /** Renewal, revocation and decommissioning (fleet/state.ts). */
  fleet: FleetState;
}

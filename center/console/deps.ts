/** What the console is given: the center's store, audit log, keys and randomness, and its own clock and logger. */
import type { Clock } from '../../common/clock.js';
import type { Logger } from '../../common/log.js';
import type { ScryptParams } from '../../common/slow-hash.js';
import type { AuditLog } from '../audit/types.js';
import type { CenterDeps } from '../deps.js';
import type { RevokeFn } from '../fleet/state.js';
import type { Db } from '../store/db.js';

export interface ConsoleDeps {
  db: Db;
  audit: AuditLog;
  clock: Clock;
  logger: Logger;
  random: (n: number) => Uint8Array;
  /** Cost of the application codes added from the console, and of the dummy password hash. */
  scrypt: ScryptParams;
  /** Verifies the audit log's signed heads. */
  centerPublicKey: Uint8Array;
  /** Seals added applications' DGIs (the center's data key; the center zeroizes it when it stops). */
  dataKey: Uint8Array;
  /**
   * The running center's revocation (status, CRL, kick: center/fleet/revoke.ts).
   * Absent only for deps made by hand: the revoke action then changes the status alone.
   */
  revokeKiosk?: RevokeFn;
}

/** The console's deps from a running center's (center.ts `deps`); the clock and logger may be the console's own. */
export function consoleDepsOf(center: CenterDeps, own: Partial<Pick<ConsoleDeps, 'clock' | 'logger'>> = {}): ConsoleDeps {
  return {
    db: center.db,
    audit: center.audit,
    clock: own.clock ?? center.clock,
    logger: own.logger ?? center.logger,
    random: center.random,
    scrypt: center.scrypt,
    centerPublicKey: center.keys.signingPublic,
    dataKey: center.keys.dataKey,
    revokeKiosk: (id, reason, also) => {
      const revoke = center.fleet.revoke;
      if (!revoke) throw new Error('the center is not running: its revocation path is not available');
      return revoke(id, reason, also);
    },
  };
}

/**
 * The fleet side of a running center (docs/provisioning.md §3–4), as the
 * handlers and the console see it through `CenterDeps.fleet`: the PKI
 * directory and the injected issuing CA, the renewal tracker, the CSR rate
 * limit and the pending certificates issued, the decommissions waiting for `wiped`, the fleet's leader, and — once the broker and
 * the bridge are up — the link to them (`attach`).
 */
import type { Clock } from '../../common/clock.js';
import type { DownBody, DownType } from '../../wire/messages.js';
import { RateLimiter } from '../rate-limit.js';
import type { Sql } from '../store/db.js';
import type { FleetCa } from './ca.js';
import type { CrlFollower } from './crl.js';
import { soleLeader, type FleetLeader } from './leader.js';
import { RenewalTracker } from './renewal.js';

/** What the fleet needs of the broker and the bridge. */
export interface FleetLink {
  crl: CrlFollower;
  isConnected(kiosk: string): boolean;
  connectedKiosks(): string[];
  disconnect(kiosk: string): Promise<boolean>;
  /** Sends on `session` of the kiosk, in its bridge queue (never between two steps of a handler of that kiosk). */
  send<T extends DownType>(kiosk: string, session: string, type: T, body: DownBody<T>): Promise<void>;
}

/** The center's revocation path, for the console (center.ts RunningCenter.revokeKiosk). */
export type RevokeFn = (id: string, reason: string, also?: (tx: Sql) => Promise<void>) => Promise<RevokeOutcome>;

export interface RevokeOutcome {
  /** Serials put on the CRL (lower-case hex). */
  serials: string[];
  /** 'updated': on the CRL and the broker reloaded; 'no-ca': the center was started without its CA; 'failed': logged. */
  crl: 'updated' | 'none' | 'no-ca' | 'failed';
  /** The kiosk's live connection was closed. */
  kicked: boolean;
}

export type WipeOutcome = { kind: 'wiped'; ok: boolean } | { kind: 'gone' } | { kind: 'timeout' };

/** Decommissions waiting for the kiosk's `wiped` or its disconnect. */
export class WipeWaiters {
  private readonly waiting = new Map<string, Set<(o: WipeOutcome) => void>>();

  /** Resolves at the first `wiped` or disconnect of `kiosk`, or after `ms` of `clock`. */
  async wait(kiosk: string, ms: number, clock: Clock): Promise<WipeOutcome> {
    const stop = new AbortController();
    let settle!: (o: WipeOutcome) => void;
    const outcome = new Promise<WipeOutcome>((resolve) => (settle = resolve));
    const set = this.waiting.get(kiosk) ?? new Set();
    this.waiting.set(kiosk, set.add(settle));
    clock.sleep(ms, stop.signal).then(
      () => settle({ kind: 'timeout' }),
      () => undefined,
    );
    try {
      return await outcome;
    } finally {
      stop.abort();
      set.delete(settle);
      if (set.size === 0 && this.waiting.get(kiosk) === set) this.waiting.delete(kiosk);
    }
  }

  /** Whether a decommission waits for this kiosk (its `wiped` is expected). */
  expects(kiosk: string): boolean {
    return this.waiting.has(kiosk);
  }

  notify(kiosk: string, o: WipeOutcome): void {
    for (const settle of this.waiting.get(kiosk) ?? []) settle(o);
  }
}

/** A renewal certificate this process issued and recorded pending: a repeated request for the same key gets it again. */
export interface IssuedPending {
  serial: string;
  pem: string;
  notAfter: Date;
  /** Hex of the request's SPKI (csr-key.ts). */
  key: string;
}

/** The last pending certificate issued per kiosk (in memory, at most `max` kiosks; a restart forgets them). */
export class PendingCerts {
  private readonly byKiosk = new Map<string, IssuedPending>();

  constructor(private readonly max = 10_000) {}

  get(kiosk: string): IssuedPending | undefined {
    return this.byKiosk.get(kiosk);
  }

  set(kiosk: string, c: IssuedPending): void {
    this.byKiosk.delete(kiosk);
    this.byKiosk.set(kiosk, c);
    while (this.byKiosk.size > this.max) {
      const oldest = this.byKiosk.keys().next().value;
      if (oldest === undefined) break;
      this.byKiosk.delete(oldest);
    }
  }

  delete(kiosk: string): void {
    this.byKiosk.delete(kiosk);
  }
}

export interface FleetSettings {
  pkiDir: string;
  ca: FleetCa | undefined;
  clock: Clock;
  /** Default: soleLeader (this center acts for every kiosk it sees). */
  leader?: FleetLeader;
}

export class FleetState {
  readonly pkiDir: string;
  readonly ca: FleetCa | undefined;
  readonly renewals = new RenewalTracker();
  /**
   * renew_requested_at (ms) already answered with a `renew`, per kiosk:
   * the hello and the watcher both see an operator's request, and it is
   * sent once (handlers.ts askRenewalIfDue records it, watcher.ts reads it).
   */
  readonly requestsAnswered = new Map<string, number>();
  /** Renewal certificates issued pending, for a repeated request (csr.ts). */
  readonly issued = new PendingCerts();
  /** One CSR per kiosk per minute (docs/provisioning.md §3). */
  readonly csrLimiter: RateLimiter;
  readonly wipes = new WipeWaiters();
  /** Kiosks this process is revoking or decommissioning right now: the watcher leaves them to it. */
  readonly inHand = new Set<string>();
  /** Whether this worker runs the watcher's and the reconciler's passes (leader.ts). */
  readonly leader: FleetLeader;
  private linked: FleetLink | undefined;
  private revoker: RevokeFn | undefined;

  constructor(s: FleetSettings) {
    this.pkiDir = s.pkiDir;
    this.ca = s.ca;
    this.leader = s.leader ?? soleLeader();
    this.csrLimiter = new RateLimiter(s.clock, { limit: 1, windowMs: 60_000 });
  }

  attach(link: FleetLink, revoke: RevokeFn): void {
    this.linked = link;
    this.revoker = revoke;
  }

  /** The broker and bridge; undefined until the center is up. */
  get link(): FleetLink | undefined {
    return this.linked;
  }

  /** The running center's revoke (status, CRL, kick), once it is up. */
  get revoke(): RevokeFn | undefined {
    return this.revoker;
  }
}

/**
 * What the session runner's message handlers (handlers/*.ts) share: the
 * injected devices and sources, the runner's state, and the few moves that
 * change it. One instance per agent; nothing at module level.
 */
import type { Clock } from '../common/clock.js';
import type { Logger } from '../common/log.js';
import type { CardStation, ReaderIdentity } from '../hardware/station.js';
import type { UpBody, UpType } from '../wire/messages.js';
import type { ReaderRegistry, SignedRegistry } from '../wire/registry.js';
import type { KioskEvent } from './events.js';
import type { UpLink } from './link.js';

/** Where the runner is; `state()` of the agent returns it. */
export type Phase =
  /** No session (link down or not yet up). */
  | 'offline'
  /** `hello` sent; waiting for `welcome` (or `refused`). */
  | 'awaiting-welcome'
  /** The reader is authenticated and no job runs: customers may ask. */
  | 'ready'
  /** The station's reader failed authentication: no issuance here. */
  | 'reader-refused'
  /** S310: the center refused this kiosk. */
  | 'refused'
  /** S230 sent; waiting for the center's answer. */
  | 'requesting'
  /** S240–S250: a card is being fed, read, authenticated. */
  | 'card'
  /** S270: the script runs. */
  | 'writing'
  /** S290: the result is with the center. */
  | 'verifying'
  | 'stopped';

export interface KioskOutcome {
  outcome: 'issued' | 'refused' | 'failed' | 'timeout';
  /** A reason code (the center's, or the kiosk's own: 'reader-refused', 'busy', 'not-ready', …). */
  reason?: string;
  job?: string;
}

/** The job the kiosk is working on: a customer's, or a recovery the center drives. */
export interface CurrentJob {
  id: string;
  attempt: number;
  recover: boolean;
  /**
   * The SCP03 session the last INITIALIZE UPDATE opened on this job's card:
   * the center's host challenge and the card's response (neither secret).
   * Sealed mode builds the script over it (handlers/package.ts).
   */
  card?: { hostChallenge: Uint8Array; iuResponse: Uint8Array };
}

export interface RunnerState {
  phase: Phase;
  reader: 'unknown' | 'authenticated' | 'refused';
  /** Why the reader was refused. */
  readerRefusal?: string;
  /** S310 reason, once refused. */
  refusal?: string;
  job?: CurrentJob;
  /** KDD (upper hex) of the card this process last read at the station; cleared when the card leaves. */
  cardKdd?: string;
  /** Highest registry version accepted in this process (welcome or push): an older one is refused. */
  registryVersion?: number;
  /** The registry the devices were last authenticated against. */
  registry?: ReaderRegistry;
  /** A pushed registry accepted while a customer was being served: applied when that customer is done. */
  pendingRegistry?: ReaderRegistry;
}

export interface RunnerDeps {
  kioskId: string;
  /** `cardline-kiosk/<version>`. */
  agent: string;
  link: UpLink;
  station: CardStation;
  clock: Clock;
  logger: Logger;
  random: (n: number) => Uint8Array;
  events: (e: KioskEvent) => void;
  centerPublicKey: Uint8Array;
  /**
   * The kiosk's X25519 sealing secret (from the key store, kiosk/keystore/):
   * opens sealed-mode packages (wire/package.ts). Absent: the kiosk refuses
   * every package ('no-sealing-key'). Owned and zeroized by the agent.
   */
  sealingKey?: Uint8Array;
  /**
   * Test seam only (issue 4: "a test inspects [the secret buffers] after a
   * session", test/integration/e2e/zeroization.test.ts): handed each buffer
   * that holds a sealed-mode secret — the package plaintext, then the
   * decoded card keys and DGI values — as soon as it exists, so that a test
   * can check later that it was overwritten. Production never sets it. A
   * watcher that copies them (the test does, to show they held the real
   * keys and data) wipes its copies.
   */
  watchSecrets?: (what: 'package plaintext' | 'package content', buffers: readonly Uint8Array[]) => void;
  /** Per-APDU transport timeout. */
  apduTimeoutMs: number;
  /** Longest wait for each answer of the center during a request. */
  requestTimeoutMs: number;
  /**
   * Longest silence of the center after a message that expects an answer
   * (hello, request, card, result) before the kiosk opens a new session
   * (silence-watch.ts; default: off). Below `requestTimeoutMs`, so the
   * customer is still waiting when the recovery answers.
   */
  answerTimeoutMs?: number;
  /** Devices authenticated with the station's reader (a customer keypad): the kiosk is READY only when every one is. */
  devices?: readonly ReaderIdentity[];
  /** Keeps a registry that verified (DESIGN §6: the kiosk stores its signed registry); a failure is logged, never fatal. */
  saveRegistry?: (signed: SignedRegistry) => Promise<void>;
}

export interface RunnerContext extends RunnerDeps {
  readonly state: RunnerState;
  /** Sends up; a link failure is logged and resolves false (the center recovers after reconnect). */
  send<T extends UpType>(type: T, body: UpBody<T>): Promise<boolean>;
  emit(e: KioskEvent): void;
  setPhase(phase: Phase): void;
  /** The phase when no job runs (ready, refused, …). */
  idlePhase(): Phase;
  /** The devices are authenticated (`ok`) or one is refused (`device`: its ID, default the station's reader): settles `ready`. */
  readerDecided(ok: boolean, reason?: string, device?: string): void;
  /** S310: issuance is not possible here. */
  kioskRefused(reason: string): void;
  /** A center answer concerning the pending request arrived (resets its timeout). */
  touch(): void;
  /** True while a customer's request waits for its outcome. */
  hasCustomer(): boolean;
  /** True while a customer is being served (a request out, or a job running): a pushed registry waits. */
  busy(): boolean;
  /** The request was answered without a job (request-refused). */
  answerRequest(outcome: KioskOutcome): boolean;
  /** The current job ended (issued/failed): settles the customer's request, if any, and frees the kiosk. */
  endJob(outcome: KioskOutcome): void;
  /** Logs a down message the kiosk refuses for its own reasons (wrong job), like the link's refusals. */
  refuse(type: string, reason: string): void;
}

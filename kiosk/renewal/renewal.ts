/**
 * The kiosk's side of certificate rotation (docs/provisioning.md §3,
 * issue 7 point 3): `renew` → a pending key and `csr`; `certificate` →
 * checked, kept as tls.next.crt, swapped in when no customer session is in
 * progress, and the link reconnects with it. Steps run one at a time, in
 * arrival order (QoS 1: a message may come twice, and every step is
 * idempotent).
 *
 * - A `renew` while a pending key waits for its certificate sends the same
 *   request again (the center may have lost it); while a swap waits, it is
 *   ignored.
 * - A `certificate` that fails a check is refused with `renew-failed`
 *   (its code), nothing is written, and the pending key stays for a right
 *   one. One that passes is written (atomic), and the new TLS context is
 *   built from the pending key at once — unsealing the pending store, which
 *   becomes the store: a key that is not the certificate's is caught here,
 *   before anything is renamed.
 * - The swap (in IdleGate.whenIdle): the pending key renamed over the
 *   current one (the old one's bytes zeroed), tls.next.crt over tls.crt,
 *   the directory fsync'd; then the link ends and connects again with the
 *   new context (a new hello, a new session at the center).
 *
 * Logged: steps, codes, fingerprints, dates. Never a key; a request or
 * certificate only by its length.
 */
import type { SecureContext } from 'node:tls';
import { join } from 'node:path';
import type { Clock } from '../../common/clock.js';
import { writePemFile } from '../../common/key-files.js';
import type { Logger } from '../../common/log.js';
import type { DownBody } from '../../wire/messages.js';
import { buildSecureContext, removeIfPresent, renameDurably, type HeldKeys, type PendingKeys } from '../keystore/index.js';
import { IDENTITY_FILES } from '../identity.js';
import { checkRenewedCertificate, requestSpki, type CheckedCertificate } from './cert-check.js';
import { RenewalError, renewFailedCode } from './errors.js';

export interface RenewalOptions {
  kioskId: string;
  identityDir: string;
  /** ca.crt of the identity (PEM): the root the new certificate must chain to. */
  root: string;
  pending: PendingKeys;
  /** The signing and sealing keys in memory: they go into the pending sealed file, and must come back out of it. */
  held: HeldKeys;
  /** Sends up; false when the link is down (the center asks again after the reconnect). */
  send(type: 'csr', body: { csr: string }): Promise<boolean>;
  send(type: 'renew-failed', body: { code: string }): Promise<boolean>;
  /** Runs the swap when no customer session is in progress (IdleGate.whenIdle). */
  whenIdle<T>(step: () => Promise<T>, signal: AbortSignal): Promise<T>;
  /** Ends the link and connects again with the new TLS context. */
  reconnect(context: SecureContext): Promise<void>;
  clock: Clock;
  logger: Logger;
}

/** Where a renewal stands: for logs, the agent and tests. */
export type RenewalState = 'none' | 'awaiting-certificate' | 'awaiting-swap';

export class Renewal {
  readonly #o: RenewalOptions;
  readonly #log: Logger;
  readonly #stop = new AbortController();
  #queue: Promise<void> = Promise.resolve();
  /** The pending key's request and its SPKI, while a pending key waits for its certificate. */
  #request: { csr: string; spki: Uint8Array } | undefined;
  #swap: Promise<void> | undefined;
  #swaps = 0;

  constructor(o: RenewalOptions) {
    this.#o = o;
    this.#log = o.logger.child('renewal');
  }

  state(): RenewalState {
    return this.#swap ? 'awaiting-swap' : this.#request ? 'awaiting-certificate' : 'none';
  }

  /** How many swaps completed in this process. */
  get swaps(): number {
    return this.#swaps;
  }

  renew(body: DownBody<'renew'>): void {
    this.#enqueue('renew', () => this.#renew(body));
  }

  certificate(body: DownBody<'certificate'>): void {
    this.#enqueue('certificate', () => this.#certificate(body));
  }

  /** Resolves when every queued step, and a swap they started, is done. */
  async settled(): Promise<void> {
    await this.#queue;
    await this.#swap;
  }

  /** Stops waiting for a swap (the agent stops); a swap already running finishes. */
  async stop(): Promise<void> {
    this.#stop.abort(new RenewalError('WRITE_FAILED', 'the agent stopped'));
    await this.settled().catch(() => undefined);
  }

  #enqueue(what: string, step: () => Promise<void>): void {
    this.#queue = this.#queue.then(step).catch((e: unknown) => this.#log.error('renewal step failed', { step: what, err: e }));
  }

  async #renew(body: DownBody<'renew'>): Promise<void> {
    if (this.#stop.signal.aborted) return;
    if (this.#swap) {
      this.#log.info('renew ignored: a renewed certificate waits for its swap');
      return;
    }
    if (this.#request) {
      this.#log.info('renew: the pending key still waits for its certificate; request sent again', { length: this.#request.csr.length });
      await this.#o.send('csr', { csr: this.#request.csr });
      return;
    }
    let csr: string;
    try {
      ({ csr } = await this.#o.pending.create(this.#o.kioskId, this.#o.held));
      this.#request = { csr, spki: requestSpki(csr) };
    } catch (e) {
      await this.#o.pending.discard().catch(() => undefined);
      return this.#failed('renew', e);
    }
    this.#log.info('renew: pending key made', { reason: body.reason, notAfter: new Date(body.notAfter).toISOString(), store: this.#o.pending.describe(), length: csr.length });
    await this.#o.send('csr', { csr });
  }

  async #certificate(body: DownBody<'certificate'>): Promise<void> {
    if (this.#stop.signal.aborted) return;
    if (this.#swap) {
      this.#log.info('certificate ignored: one already waits for its swap');
      return;
    }
    const request = this.#request;
    const next = join(this.#o.identityDir, IDENTITY_FILES.nextCert);
    let checked: CheckedCertificate;
    let context: SecureContext;
    try {
      if (!request) throw new RenewalError('NO_PENDING_KEY', 'no pending key waits for a certificate');
      checked = checkRenewedCertificate(body.pem, { kioskId: this.#o.kioskId, spki: request.spki, root: this.#o.root, now: this.#o.clock.now() });
      await writePemFile(next, checked.chain, { secret: false, overwrite: true }).catch((e: unknown) => {
        throw new RenewalError('WRITE_FAILED', `cannot write ${next}: ${(e as Error).message}`);
      });
      try {
        context = buildSecureContext(await this.#o.pending.pendingTls(this.#o.held), checked.chain, this.#o.root);
      } catch (e) {
        await removeIfPresent(next).catch(() => undefined);
        throw e;
      }
    } catch (e) {
      return this.#failed('certificate', e);
    }
    this.#log.info('certificate accepted: swap when no customer session is in progress', { fingerprint: checked.fingerprint, notAfter: checked.notAfter.toISOString() });
    this.#swap = this.#o
      .whenIdle(() => this.#swapIn(checked, context, next), this.#stop.signal)
      .catch(async (e: unknown) => {
        if (this.#stop.signal.aborted) return this.#log.info('swap abandoned: the agent stopped (finished at the next start)');
        await this.#failed('swap', e);
      })
      .finally(() => (this.#swap = undefined));
  }

  async #swapIn(checked: CheckedCertificate, context: SecureContext, next: string): Promise<void> {
    // Key first, then certificate: a crash in between is finished at the next start (recover.ts).
    try {
      await this.#o.pending.promote();
      await renameDurably(next, join(this.#o.identityDir, IDENTITY_FILES.cert));
    } catch (e) {
      throw new RenewalError('WRITE_FAILED', `the swap failed: ${(e as Error).message}`);
    }
    this.#request = undefined;
    this.#swaps++;
    this.#log.info('certificate renewed: reconnecting with it', { fingerprint: checked.fingerprint, notAfter: checked.notAfter.toISOString() });
    await this.#o.reconnect(context);
  }

  async #failed(step: string, e: unknown): Promise<void> {
    const code = renewFailedCode(e);
    this.#log.warn('renewal refused', { step, code, err: e });
    await this.#o.send('renew-failed', { code });
  }
}

/**
 * The session runner: the kiosk's side of DESIGN §3 steps 1–8 (relay mode),
 * the source's "card communication mediate means (211)". It reacts to the
 * link (a session opened, a down message, the link dropped) and to the
 * customer (`request`), one down message at a time, in arrival order.
 *
 * One customer at a time: `request` waits while a job runs (a recovery the
 * center drives, say), sends S230, and resolves when the job ends (issued,
 * failed), the center refuses, or the center stays silent for
 * `requestTimeoutMs` after the last exchange ('timeout').
 *
 * When the center stays silent for `answerTimeoutMs` after a message that
 * expects an answer (a center worker died holding it), a new session is
 * opened (silence-watch.ts; the next wait is twice as long until the center
 * answers): the center's hello recovery resumes a job that
 * holds a card; a request that had no job yet is sent again in the new
 * session, and the `failed` ('voided') for the reservation the recovery
 * released — a job this kiosk never saw — does not end that customer's wait.
 */
import type { DownMessage } from '../wire/messages.js';
import { requestSchema } from '../wire/messages.js';
import { KioskError, isKioskError } from './errors.js';
import type { KioskEvent } from './events.js';
import { onCardRefused } from './handlers/card-refused.js';
import { onFailed } from './handlers/failed.js';
import { onInsertCard } from './handlers/insert-card.js';
import { onIssued } from './handlers/issued.js';
import { onRefused } from './handlers/refused.js';
import { applyRegistry } from './handlers/registry-check.js';
import { onRegistry } from './handlers/registry.js';
import { onRequestRefused } from './handlers/request-refused.js';
import { onPackage } from './handlers/package.js';
import { onScript } from './handlers/script.js';
import { onWelcome } from './handlers/welcome.js';
import type { DownDelivery } from './link.js';
import { PendingRequest } from './pending-request.js';
import { SilenceWatch } from './silence-watch.js';
import type { KioskOutcome, Phase, RunnerContext, RunnerDeps, RunnerState } from './runner-context.js';
import { StateWaiter } from './state-waiter.js';

/** Up messages the center always answers: the silence watch runs after each. */
const EXPECTS_ANSWER: ReadonlySet<string> = new Set(['hello', 'request', 'card', 'result']);
/**
 * Down messages that answer one of those (wire/messages.ts): hello → welcome
 * or refused (and the recovery's insert-card, script, failed); request →
 * request-refused, insert-card or failed; card → script, package or
 * card-refused; result → the next script, issued or failed. Only these end
 * the silence watch's wait: a registry push, and the fleet messages (renew,
 * certificate, decommission: the agent's, kiosk/agent.ts), come whenever
 * the center likes, and a center that pushes while the worker holding the
 * kiosk's message is dead must not switch the watch off.
 */
const ANSWERS: ReadonlySet<DownMessage['type']> = new Set(['welcome', 'refused', 'request-refused', 'insert-card', 'card-refused', 'script', 'package', 'issued', 'failed']);

export class SessionRunner {
  readonly #deps: RunnerDeps;
  readonly #state: RunnerState = { phase: 'offline', reader: 'unknown' };
  readonly #ctx: RunnerContext;
  readonly #changes: StateWaiter;
  #queue: Promise<void> = Promise.resolve();
  #pending: PendingRequest | undefined;
  /** The pending request's body, to send it again in a new session (never logged). */
  #requestBody: { application: string; code: string } | undefined;
  /** The pending request during which a new session was opened for a silent center. */
  #renewedFor: PendingRequest | undefined;
  readonly #watch: SilenceWatch | undefined;
  #customer = false;
  /** When the handler now running started (undefined: none runs), and when anything last moved. */
  #busySince: number | undefined;
  #progressAt = 0;
  #readyResolve!: () => void;
  #readyReject!: (e: Error) => void;
  /** Resolves when the reader is authenticated; rejects when the kiosk or its reader is refused. */
  readonly ready: Promise<void>;

  constructor(deps: RunnerDeps) {
    this.#deps = { ...deps, logger: deps.logger.child('session') };
    this.#changes = new StateWaiter(deps.clock);
    this.ready = new Promise<void>((resolve, reject) => {
      this.#readyResolve = resolve;
      this.#readyReject = reject;
    });
    // Nobody may be waiting on `ready`: a refusal must not become an unhandled rejection.
    this.ready.catch(() => undefined);
    this.#ctx = this.#context();
    const renew = deps.link.renewSession?.bind(deps.link);
    if (deps.answerTimeoutMs !== undefined && renew !== undefined) {
      this.#watch = new SilenceWatch(deps.clock, deps.answerTimeoutMs, () => this.#renew(renew), this.#deps.logger);
    }
  }

  state(): Phase {
    return this.#state.phase;
  }

  /** A new session is open: say hello (S210). */
  async sessionOpened(): Promise<void> {
    this.#emit({ type: 'connected' });
    // The reader is authenticated again at every welcome (DESIGN §3 step 2: "at start and at every reader attach").
    if (this.#state.reader === 'authenticated') this.#state.reader = 'unknown';
    if (this.#state.job === undefined && this.#state.phase !== 'stopped') this.#setPhase('awaiting-welcome');
    const station = this.#deps.station;
    let present = false;
    try {
      present = await station.cardAtStation();
    } catch (e) {
      this.#deps.logger.error('station status failed', { err: e });
    }
    const sent = await this.#ctx.send('hello', {
      agent: this.#deps.agent,
      readers: [{ id: station.identity.id, kind: station.identity.kind }],
      card: { present },
    });
    if (sent) this.#emit({ type: 'session-open' });
  }

  linkDown(): void {
    this.#watch?.cancel();
    this.#emit({ type: 'disconnected' });
    if (this.#state.job === undefined && this.#state.phase !== 'stopped') this.#setPhase('offline');
  }

  /** Queues a checked down message; handlers run one at a time, in order. */
  deliver(d: DownDelivery): void {
    if (ANSWERS.has(d.message.type)) this.#watch?.heard();
    this.#queue = this.#queue
      .then(() => {
        this.#busySince = this.#progressAt = this.#deps.clock.now();
        return this.#dispatch(d);
      })
      .catch((e: unknown) => this.#deps.logger.error('handler failed', { type: d.message.type, err: e }))
      .finally(() => {
        this.#busySince = undefined;
      });
  }

  /**
   * Liveness, for the systemd watchdog: wedged when a handler has been
   * running for more than `wedgedAfterMs` without any step of progress (an
   * event for the screen: an APDU answered, a card moved). A long script
   * that keeps answering is not wedged; a transport that never returns is.
   */
  health(wedgedAfterMs: number): { wedged: boolean; phase: Phase; stalledMs: number } {
    const stalledMs = this.#busySince === undefined ? 0 : this.#deps.clock.now() - Math.max(this.#busySince, this.#progressAt);
    return { wedged: stalledMs > wedgedAfterMs, phase: this.#state.phase, stalledMs };
  }

  /** Resolves when every delivered message has been handled. */
  idle(): Promise<void> {
    return this.#queue;
  }

  async #dispatch(d: DownDelivery): Promise<void> {
    if (this.#state.phase === 'stopped') return;
    const m: DownMessage = d.message;
    this.#deps.logger.debug('down', { type: m.type, seq: d.seq });
    if (m.type === 'failed' && m.body.reason === 'voided' && this.#state.job === undefined && this.#pending !== undefined && this.#renewedFor === this.#pending) {
      // The recovery released the reservation of the request we are sending again: not this customer's outcome.
      this.#deps.logger.info('voided reservation of a request sent again: ignored', { job: m.body.job });
      return;
    }
    switch (m.type) {
      case 'welcome':
        return onWelcome(this.#ctx, m.body);
      case 'registry':
        return onRegistry(this.#ctx, m.body);
      case 'refused':
        return onRefused(this.#ctx, m.body);
      case 'request-refused':
        return onRequestRefused(this.#ctx, m.body);
      case 'insert-card':
        return onInsertCard(this.#ctx, m.body);
      case 'card-refused':
        return onCardRefused(this.#ctx, m.body);
      case 'script':
        return onScript(this.#ctx, m.body, d.deadline);
      case 'package':
        return onPackage(this.#ctx, m.body);
      case 'issued':
        return onIssued(this.#ctx, m.body);
      case 'failed':
        return onFailed(this.#ctx, m.body);
      case 'renew':
      case 'certificate':
      case 'decommission':
        // The fleet messages are the agent's (kiosk/renewal/), never a customer session's.
        this.#deps.logger.warn('fleet message delivered to the session runner: ignored', { type: m.type });
        return;
    }
  }

  /** S230 for one customer. Never throws: every ending is an outcome. The code is never logged or shown. */
  async request(application: string, code: string): Promise<KioskOutcome> {
    const input = requestSchema.safeParse({ application, code });
    if (!input.success) return this.#localRefusal(input.error.issues[0]?.path[0] === 'code' ? 'code-invalid' : 'application-invalid');
    if (this.#customer) return this.#localRefusal('busy');
    this.#customer = true;
    try {
      return await this.#serve(input.data);
    } finally {
      this.#customer = false;
    }
  }

  async #serve(body: { application: string; code: string }): Promise<KioskOutcome> {
    const blocked = this.#blockedReason();
    if (blocked !== undefined) return this.#localRefusal(blocked);
    // A recovery (or a session still opening) first: the customer waits, within the timeout.
    const free = await this.#changes.until(() => this.#state.phase === 'ready' || this.#blockedReason() !== undefined, this.#deps.requestTimeoutMs);
    const late = this.#blockedReason();
    if (late !== undefined) return this.#localRefusal(late);
    if (!free) return this.#end({ outcome: 'timeout', reason: this.#state.job !== undefined ? 'busy' : 'not-ready' });
    const pending = new PendingRequest(this.#deps.clock, this.#deps.requestTimeoutMs);
    this.#pending = pending;
    this.#requestBody = body;
    this.#setPhase('requesting');
    const sent = await this.#ctx.send('request', body);
    if (!sent) {
      this.#pending = undefined;
      this.#requestBody = undefined;
      if (this.#state.phase === 'requesting') this.#setPhase(this.#idlePhase());
      return this.#end({ outcome: 'failed', reason: 'offline' });
    }
    this.#emit({ type: 'request-sent' });
    const outcome = await pending.outcome();
    if (this.#pending === pending) {
      this.#pending = undefined;
      this.#requestBody = undefined;
    }
    // Answered without a job, or given up on before one started: back to the start.
    if (this.#state.phase === 'requesting') this.#setPhase(this.#idlePhase());
    this.#applyPendingRegistry();
    return this.#end(outcome);
  }

  #end(outcome: KioskOutcome): KioskOutcome {
    if (outcome.outcome === 'timeout') this.#emit({ type: 'error', code: 'timeout' });
    this.#deps.logger.info('request ended', { outcome: outcome.outcome, reason: outcome.reason, job: outcome.job });
    return outcome;
  }

  #localRefusal(reason: string): KioskOutcome {
    this.#emit({ type: 'request-refused', reason, local: true });
    return this.#end({ outcome: 'refused', reason });
  }

  /** Why no customer can be served here now, if that is so. */
  #blockedReason(): string | undefined {
    const s = this.#state;
    if (s.phase === 'stopped') return 'stopped';
    if (s.refusal !== undefined) return s.refusal;
    if (s.reader === 'refused') return 'reader-refused';
    return undefined;
  }

  #busy(): boolean {
    return this.#state.job !== undefined || this.#state.phase === 'requesting';
  }

  /**
   * A registry pushed during a customer's session is applied once that
   * customer is done, before the next: the reader is undecided until then
   * (a waiting customer waits for READY), and the authentication runs in the
   * message queue, in order with the down messages.
   */
  #applyPendingRegistry(): void {
    const registry = this.#state.pendingRegistry;
    if (registry === undefined || this.#busy() || this.#state.phase === 'stopped') return;
    delete this.#state.pendingRegistry;
    this.#state.reader = 'unknown';
    this.#setPhase(this.#idlePhase());
    this.#deps.logger.info('registry update', { version: registry.version, deferred: true });
    this.#queue = this.#queue
      .then(() => (this.#state.phase === 'stopped' ? undefined : applyRegistry(this.#ctx, registry)))
      .catch((e: unknown) => this.#deps.logger.error('handler failed', { type: 'registry', err: e }));
  }

  #idlePhase(): Phase {
    const s = this.#state;
    if (s.phase === 'stopped') return 'stopped';
    if (s.refusal !== undefined) return 'refused';
    if (s.reader === 'refused') return 'reader-refused';
    if (s.reader === 'authenticated') return 'ready';
    return s.phase === 'offline' ? 'offline' : 'awaiting-welcome';
  }

  #setPhase(phase: Phase): void {
    if (this.#state.phase === 'stopped') return;
    this.#state.phase = phase;
    this.#changes.notify();
  }

  #emit(e: KioskEvent): void {
    this.#progressAt = this.#deps.clock.now();
    try {
      this.#deps.events(e);
    } catch (err) {
      this.#deps.logger.error('event sink failed', { event: e.type, err });
    }
  }

  /**
   * The center went silent (silence-watch.ts): a new session, so its hello
   * recovery resumes the job on a live worker. A customer whose request got
   * no job yet has it sent again once the new session is ready.
   */
  async #renew(renew: () => Promise<void>): Promise<void> {
    const pending = this.#pending;
    const body = this.#requestBody;
    const resend = pending !== undefined && body !== undefined && this.#state.job === undefined;
    if (resend) this.#renewedFor = pending;
    await renew();
    if (!resend) return;
    const ready = await this.#changes.until(
      () => this.#state.phase === 'ready' || this.#state.job !== undefined || this.#pending !== pending || this.#blockedReason() !== undefined,
      this.#deps.answerTimeoutMs ?? this.#deps.requestTimeoutMs,
    );
    if (!ready || this.#pending !== pending || this.#state.job !== undefined || this.#state.phase !== 'ready') return;
    this.#setPhase('requesting');
    this.#deps.logger.info('request sent again in the new session');
    await this.#ctx.send('request', body);
  }

  /** Stops serving: a waiting customer gets 'failed' ('stopped'); queued messages are dropped. */
  async stop(): Promise<void> {
    this.#watch?.stop();
    this.#pending?.settle({ outcome: 'failed', reason: 'stopped' });
    this.#state.phase = 'stopped';
    this.#changes.notify();
    this.#readyReject(new KioskError('STOPPED', 'the agent stopped'));
    await this.#queue;
  }

  #context(): RunnerContext {
    const deps = this.#deps;
    const state = this.#state;
    return {
      ...deps,
      state,
      send: async (type, body) => {
        try {
          await deps.link.send(type, body);
          this.#pending?.touch();
          if (EXPECTS_ANSWER.has(type)) this.#watch?.expect();
          return true;
        } catch (e) {
          if (!isKioskError(e, 'LINK_DOWN')) throw e;
          deps.logger.warn('not sent: link down', { type });
          return false;
        }
      },
      emit: (e) => this.#emit(e),
      setPhase: (p) => this.#setPhase(p),
      idlePhase: () => this.#idlePhase(),
      readerDecided: (ok, reason, device) => {
        state.reader = ok ? 'authenticated' : 'refused';
        if (ok) delete state.readerRefusal;
        else state.readerRefusal = reason ?? 'refused';
        const reader = device ?? deps.station.identity.id;
        this.#emit(ok ? { type: 'reader-authenticated', reader } : { type: 'reader-refused', reader, reason: state.readerRefusal ?? 'refused' });
        if (ok) this.#readyResolve();
        else this.#readyReject(new KioskError('READER_REFUSED', `reader ${reader} refused: ${state.readerRefusal ?? 'refused'}`));
        if (state.job === undefined) this.#setPhase(this.#idlePhase());
        else this.#changes.notify();
      },
      kioskRefused: (reason) => {
        state.refusal = reason;
        this.#readyReject(new KioskError('REFUSED', `issuance not possible here: ${reason}`));
        this.#pending?.settle({ outcome: 'refused', reason });
        if (state.job === undefined) this.#setPhase('refused');
        else this.#changes.notify();
      },
      touch: () => this.#pending?.touch(),
      hasCustomer: () => this.#pending !== undefined,
      busy: () => this.#busy(),
      answerRequest: (outcome) => {
        const pending = this.#pending;
        if (pending === undefined || state.job !== undefined) return false;
        pending.settle(outcome);
        return true;
      },
      endJob: (outcome) => {
        delete state.job;
        this.#pending?.settle(outcome);
        this.#setPhase(this.#idlePhase());
        this.#applyPendingRegistry();
      },
      refuse: (type, reason) => deps.logger.warn('wire refused', { reason, type }),
    };
  }
}

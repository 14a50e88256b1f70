/**
 * SimCard: a simulated GlobalPlatform card, as a device. It owns its
 * EEPROM image (a file, image-store.ts), answers APDUs through the card OS
 * (dispatcher.ts), and can lose power on cue (power-cut.ts) or take the
 * time a real card takes (latency.ts). docs/sim-card.md describes the card.
 *
 * Per command: the dispatcher works on a Transaction; if the command wrote
 * something, the new state goes to the image first (atomic rename) and
 * only then becomes the card's state. So the image always holds the state
 * after the last committed command, and a reopened card is exactly the card
 * that lost power.
 */
import { randomBytes } from 'node:crypto';
import { toHex } from '../../../card/bytes.js';
import { SW } from '../../../card/status-words.js';
import { systemClock, type Clock } from '../../../common/clock.js';
import { silentLogger, type Logger } from '../../../common/log.js';
import { processApdu } from './dispatcher.js';
import { SimCardError, SimPowerCutError } from './errors.js';
import { FileImageStore, MemoryImageStore, type ImageStore } from './image-store.js';
import { latencyMs, type LatencyModel } from './latency.js';
import { appLifeCycleName, cardLifeCycleName } from './life-cycle.js';
import { PowerCutHook, type PowerCutPlan } from './power-cut.js';
import { factoryState, type SimCardProfileInput } from './profile.js';
import { clearSession, freshSession, type Session } from './session.js';
import { zeroizeStateSecrets, type CardState } from './state.js';
import { Transaction } from './transaction.js';

export interface SimCardOptions {
  /** EEPROM image file owned by the simulator; absent = memory only. */
  statePath?: string;
  /** Used only when creating a new card (no image yet). */
  profile?: SimCardProfileInput;
  clock?: Clock;
  logger?: Logger;
  /** Random source (card challenges with i = 60, default serials). Default: node:crypto. */
  random?: (n: number) => Uint8Array;
  /** Card latency; off by default. See REFERENCE_LATENCY. */
  latency?: LatencyModel;
}

/** What tests and the demo may look at without APDUs: states and counters, never keys or DGI values. */
export interface SimCardInspection {
  readonly serial: string;
  readonly atr: string;
  readonly powered: boolean;
  readonly lifeCycle: number;
  readonly lifeCycleName: string;
  readonly isd: {
    readonly aid: string;
    readonly keyVersions: readonly number[];
    readonly i: number;
    readonly sequenceCounter: number;
  };
  readonly apps: readonly {
    readonly aid: string;
    readonly lifeCycle: number;
    readonly lifeCycleName: string;
    /** Tags of the readable DGIs, hex, sorted. */
    readonly dgiTags: readonly string[];
    /** Tags of the secret DGIs held, hex, sorted. */
    readonly secretDgiTags: readonly string[];
  }[];
}

const defaultRandom = (n: number): Uint8Array => new Uint8Array(randomBytes(n));

function tagList(m: Map<number, Uint8Array>): string[] {
  return [...m.keys()].sort((a, b) => a - b).map((t) => t.toString(16).toUpperCase().padStart(4, '0'));
}

export class SimCard {
  private state: CardState;
  private readonly session: Session = freshSession();
  private readonly powerCut = new PowerCutHook();
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly random: (n: number) => Uint8Array;
  private readonly latency: LatencyModel | undefined;
  private isPowered = false;
  private busy = false;
  private apduCount = 0;

  private constructor(
    state: CardState,
    private readonly store: ImageStore,
    opts: SimCardOptions,
  ) {
    this.state = state;
    this.clock = opts.clock ?? systemClock;
    this.log = (opts.logger ?? silentLogger).child('sim-card');
    this.random = opts.random ?? defaultRandom;
    this.latency = opts.latency;
  }

  /**
   * Loads the card from `statePath` when the image exists (validated:
   * SimCardError IMAGE_CORRUPT / IMAGE_CHECKSUM / IMAGE_VERSION / IMAGE_IO),
   * else makes a factory-fresh card from `profile` and writes its image.
   */
  static async open(opts: SimCardOptions): Promise<SimCard> {
    const store: ImageStore = opts.statePath !== undefined ? new FileImageStore(opts.statePath) : new MemoryImageStore();
    let state = await store.load();
    if (state === undefined) {
      state = factoryState(opts.profile ?? {}, opts.random ?? defaultRandom);
      await store.save(state);
    }
    return new SimCard(state, store, opts);
  }

  get atr(): Uint8Array {
    return this.state.atr.slice();
  }

  /** The card's serial, hex. */
  get serial(): string {
    return toHex(this.state.serial);
  }

  /** Key diversification data (10 bytes), as INITIALIZE UPDATE reports it. */
  get kdd(): Uint8Array {
    return this.state.kdd.slice();
  }

  get powered(): boolean {
    return this.isPowered;
  }

  /** Cold reset: volatile state (selection, secure channel, STORE DATA sequence) is cleared; resolves with the ATR. */
  powerOn(): Promise<Uint8Array> {
    clearSession(this.session);
    this.isPowered = true;
    return Promise.resolve(this.atr);
  }

  /** Deactivates the contacts; volatile state is lost. */
  powerOff(): void {
    clearSession(this.session);
    this.isPowered = false;
  }

  /** Arms (or, without an argument, disarms) the tearing hook; see power-cut.ts. */
  setPowerCut(cut?: PowerCutPlan): void {
    this.powerCut.set(cut);
  }

  /**
   * One command APDU in, the full response (data ‖ SW) out. Bad APDUs get
   * the status word a real card returns; this rejects only when the card
   * cannot answer at all: SimCardError NOT_POWERED / BUSY, or
   * SimPowerCutError when the tearing hook fires.
   */
  async transmit(apdu: Uint8Array): Promise<Uint8Array> {
    if (!this.isPowered) throw new SimCardError('NOT_POWERED', 'the card is not powered');
    if (this.busy) throw new SimCardError('BUSY', 'a command is already in progress');
    this.busy = true;
    try {
      return await this.execute(new Uint8Array(apdu));
    } finally {
      this.busy = false;
    }
  }

  private async execute(bytes: Uint8Array): Promise<Uint8Array> {
    const index = ++this.apduCount;
    const cut = this.powerCut.onApdu(bytes.length);
    if (cut.fire && !cut.complete) this.cutPower(false, index, cut.detail);

    const tx = new Transaction(this.state);
    let response = processApdu(bytes, tx, this.session, { random: this.random, log: this.log });
    const draft = tx.changed;

    if (cut.fire) {
      if (cut.phase === 'after-commit' && draft !== undefined) await this.commit(draft);
      else tx.discard(); // the writes are lost with the power; so are the secrets in the draft
      this.cutPower(cut.phase === 'after-commit', index, cut.detail);
    }
    if (draft !== undefined) {
      try {
        await this.commit(draft);
      } catch (e) {
        // The EEPROM write failed: the card reports a memory failure and keeps its old state.
        tx.discard();
        this.log.error('image write failed', { err: e });
        clearSession(this.session);
        response = Uint8Array.of(SW.MEMORY_FAILURE >>> 8, SW.MEMORY_FAILURE & 0xff);
      }
    }
    this.log.debug('apdu', { ins: bytes[1], in: bytes.length, out: response.length, sw: toHex(response.subarray(response.length - 2)) });
    if (this.latency !== undefined) await this.clock.sleep(latencyMs(this.latency, bytes[1], bytes.length, response.length));
    return response;
  }

  private async commit(draft: CardState): Promise<void> {
    await this.store.save(draft);
    const old = this.state;
    this.state = draft;
    zeroizeStateSecrets(old);
  }

  private cutPower(committed: boolean, index: number, detail: string): never {
    this.powerOff();
    this.log.info('power cut', { apduIndex: index, committed });
    throw new SimPowerCutError(committed, index, detail);
  }

  inspect(): SimCardInspection {
    const s = this.state;
    return {
      serial: toHex(s.serial),
      atr: toHex(s.atr),
      powered: this.isPowered,
      lifeCycle: s.lifeCycle,
      lifeCycleName: cardLifeCycleName(s.lifeCycle),
      isd: { aid: toHex(s.isd.aid), keyVersions: s.isd.keySets.map((k) => k.kvn), i: s.isd.i, sequenceCounter: s.isd.sequenceCounter },
      apps: s.apps.map((a) => ({
        aid: toHex(a.aid),
        lifeCycle: a.lifeCycle,
        lifeCycleName: appLifeCycleName(a.lifeCycle),
        dgiTags: tagList(a.dgis),
        secretDgiTags: tagList(a.secrets),
      })),
    };
  }
}

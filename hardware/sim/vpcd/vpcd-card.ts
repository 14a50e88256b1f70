/**
 * VpcdCardClient: the CARD side of a vpcd virtual reader (vsmartcard). It
 * connects to the reader's TCP port (pcscd's vpcd driver, or our
 * VpcdReaderTransport) and serves one simulated card there:
 *
 *   1-byte frames (control, DESIGN §8): 00 power off, 01 power on, 02 reset
 *   (no reply to these), 04 get ATR (reply: the ATR, powered or not; vpcd
 *   polls it to see that the card is still there).
 *   Longer frames: a command APDU; the reply is the card's response APDU.
 *
 * Frames are handled strictly in arrival order, one at a time.
 *
 * Connection = the card is in the reader. When the reader goes away (or is
 * not up yet) the client retries with exponential backoff until stop(). A
 * power cut fired by the card's tearing hook drops the connection, which the
 * reader sees as a card pulled mid-command; the card is back (re-inserted,
 * unpowered) at the next connection.
 *
 * Logs: connection events, and per APDU only its number and SW. Never APDU
 * contents.
 */
import { connect as netConnect, type Socket } from 'node:net';
import { systemClock, type Clock } from '../../../common/clock.js';
import { silentLogger, type Logger } from '../../../common/log.js';
import { cardErrorSummary, isPowerCut, swOf, type CardEndpoint } from '../card-endpoint.js';
import { startTimer, type Timer } from '../../timers.js';
import { encodeVpcdFrame, VPCD_CTRL, VpcdFrameParser } from './vpcd-framing.js';

/** Default vpcd port (vsmartcard's VPCDPORT). */
export const VPCD_DEFAULT_PORT = 35963;

/** Frames waiting for the card before the socket is paused. */
const MAX_QUEUED_FRAMES = 16;

/** ISO 7816-4 §5.6: 6F00, "no precise diagnosis": what a card OS answers on an internal fault. */
const SW_NO_PRECISE_DIAGNOSIS = Uint8Array.of(0x6f, 0x00);

export interface VpcdCardClientOptions {
  host: string;
  port: number;
  card: CardEndpoint;
  logger?: Logger;
  clock?: Clock;
  /** Reconnect backoff: first delay and ceiling in ms (defaults 100 and 5000). */
  backoff?: { initialMs?: number; maxMs?: number };
  /** Opens the TCP connection (injectable for tests); defaults to node:net connect. */
  connect?: (host: string, port: number) => Socket;
}

export type VpcdCardClientEvent = 'connected' | 'disconnected';

export class VpcdCardClient {
  private readonly log: Logger;
  private readonly clock: Clock;
  private readonly initialMs: number;
  private readonly maxMs: number;
  private readonly connectFn: (host: string, port: number) => Socket;
  private readonly listeners: Record<VpcdCardClientEvent, Set<() => void>> = { connected: new Set(), disconnected: new Set() };
  private socket: Socket | undefined;
  private isConnected = false;
  private powered = false;
  private stopped = true;
  private loopDone: Promise<void> = Promise.resolve();
  private backoffTimer: Timer | undefined;
  private wakeBackoff: (() => void) | undefined;
  private chain: Promise<void> = Promise.resolve();
  /** Frames received and not yet handled (see enqueue). */
  private queued = 0;
  private answered = 0;

  constructor(private readonly opts: VpcdCardClientOptions) {
    this.log = (opts.logger ?? silentLogger).child('vpcd-card');
    this.clock = opts.clock ?? systemClock;
    this.initialMs = opts.backoff?.initialMs ?? 100;
    this.maxMs = opts.backoff?.maxMs ?? 5000;
    this.connectFn = opts.connect ?? ((host, port) => netConnect({ host, port }));
  }

  get connected(): boolean {
    return this.isConnected;
  }

  /** Response APDUs sent since start. */
  get apdusAnswered(): number {
    return this.answered;
  }

  on(event: VpcdCardClientEvent, listener: () => void): () => void {
    this.listeners[event].add(listener);
    return () => void this.listeners[event].delete(listener);
  }

  /** Resolves when connected (at once if already). */
  whenConnected(): Promise<void> {
    if (this.isConnected) return Promise.resolve();
    return new Promise((resolve) => {
      const off = this.on('connected', () => {
        off();
        resolve();
      });
    });
  }

  /** Starts connecting (idempotent). */
  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.loopDone = this.loop();
  }

  /** Disconnects, stops retrying, powers the card down. Resolves when everything has settled. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.backoffTimer?.cancel();
    this.wakeBackoff?.();
    const s = this.socket;
    if (s && !s.destroyed && !this.isConnected) {
      s.destroy();
    } else if (s && !s.destroyed) {
      s.end();
      // A peer that never closes its side must not hold stop() up.
      const grace = setTimeout(() => s.destroy(), 1000);
      grace.unref();
    }
    await this.loopDone;
    await this.chain;
    this.opts.card.powerOff();
    this.powered = false;
  }

  private async loop(): Promise<void> {
    let delay = this.initialMs;
    while (!this.stopped) {
      const wasConnected = await this.session();
      if (this.stopped) break;
      if (wasConnected) delay = this.initialMs;
      this.log.debug('reconnecting', { inMs: delay });
      await this.backoff(delay);
      delay = Math.min(delay * 2, this.maxMs);
    }
  }

  private backoff(ms: number): Promise<void> {
    const timer = startTimer(this.clock, ms);
    this.backoffTimer = timer;
    return new Promise<void>((resolve) => {
      this.wakeBackoff = resolve;
      void timer.done.then(resolve);
    }).finally(() => {
      this.backoffTimer = undefined;
      this.wakeBackoff = undefined;
    });
  }

  /** One connection attempt; resolves when it ends, with whether it ever connected. */
  private session(): Promise<boolean> {
    const { host, port } = this.opts;
    return new Promise<boolean>((resolve) => {
      let everConnected = false;
      const parser = new VpcdFrameParser();
      const socket = this.connectFn(host, port);
      this.socket = socket;
      socket.on('connect', () => {
        everConnected = true;
        this.isConnected = true;
        socket.setNoDelay(true);
        this.log.info('connected to vpcd', { host, port });
        this.emit('connected');
      });
      socket.on('data', (chunk: Buffer) => {
        let frames: Uint8Array[];
        try {
          frames = parser.push(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
        } catch (e) {
          this.log.warn('bad frame from vpcd; dropping the connection', { error: e });
          socket.destroy();
          return;
        }
        for (const f of frames) this.enqueue(f, socket);
      });
      socket.on('error', (e: NodeJS.ErrnoException) => {
        // Refused or reset: the reader is not (or no longer) there; 'close' follows.
        this.log.debug('vpcd connection error', { code: e.code ?? 'unknown' });
      });
      socket.on('close', () => {
        if (this.socket === socket) this.socket = undefined;
        if (everConnected) {
          this.isConnected = false;
          this.opts.card.powerOff();
          this.powered = false;
          this.log.info('disconnected from vpcd', { host, port, apdus: this.answered });
          this.emit('disconnected');
        }
        resolve(everConnected);
      });
    });
  }

  /**
   * Queues one frame behind the ones before it. vpcd sends one request at a
   * time, so a long queue means a misbehaving peer: the socket is paused
   * (TCP backpressure) instead of buffering without bound. A frame whose
   * handling fails drops the connection; it never rejects the chain, which
   * would leave an unhandled rejection (a crash) and block every later frame.
   */
  private enqueue(frame: Uint8Array, socket: Socket): void {
    this.queued++;
    if (this.queued >= MAX_QUEUED_FRAMES && !socket.isPaused()) socket.pause();
    this.chain = this.chain
      .then(() => this.handle(frame, socket))
      .catch((e: unknown) => {
        this.log.error('frame handling failed; dropping the connection', { error: cardErrorSummary(e) });
        socket.destroy();
      })
      .finally(() => {
        this.queued--;
        if (this.queued <= MAX_QUEUED_FRAMES / 2 && socket.isPaused() && !socket.destroyed) socket.resume();
      });
  }

  private async handle(frame: Uint8Array, socket: Socket): Promise<void> {
    if (socket.destroyed) return;
    const card = this.opts.card;
    if (frame.length === 1) {
      switch (frame[0]) {
        case VPCD_CTRL.OFF:
          card.powerOff();
          this.powered = false;
          return;
        case VPCD_CTRL.ON:
          await this.powerUp();
          return;
        case VPCD_CTRL.RESET:
          card.powerOff();
          await this.powerUp();
          return;
        case VPCD_CTRL.ATR:
          send(socket, card.atr);
          return;
        default:
          this.log.warn('unknown vpcd control byte; ignored', { control: frame[0] });
          return;
      }
    }
    if (!this.powered) {
      // vpcd powers the card before any APDU; a card without power cannot answer.
      this.log.warn('APDU while unpowered', { length: frame.length });
      send(socket, SW_NO_PRECISE_DIAGNOSIS);
      return;
    }
    let rapdu: Uint8Array;
    try {
      rapdu = await card.transmit(frame);
    } catch (e) {
      if (isPowerCut(e)) {
        this.powered = false;
        this.log.info('card lost power; leaving the reader', { apdus: this.answered });
        socket.destroy();
        return;
      }
      this.log.error('card failed on an APDU', { error: cardErrorSummary(e) });
      rapdu = SW_NO_PRECISE_DIAGNOSIS;
    }
    this.answered++;
    this.log.debug('apdu', { n: this.answered, sw: swOf(rapdu) });
    send(socket, rapdu);
  }

  private async powerUp(): Promise<void> {
    try {
      await this.opts.card.powerOn();
      this.powered = true;
    } catch (e) {
      this.powered = false;
      this.log.error('card failed to power on', { error: cardErrorSummary(e) });
    }
  }

  private emit(event: VpcdCardClientEvent): void {
    for (const l of [...this.listeners[event]]) {
      try {
        l();
      } catch (e) {
        this.log.warn('listener failed', { event, error: e });
      }
    }
  }
}

function send(socket: Socket, payload: Uint8Array): void {
  if (!socket.destroyed && socket.writable) socket.write(encodeVpcdFrame(payload));
}

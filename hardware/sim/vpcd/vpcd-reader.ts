/**
 * VpcdReaderTransport: the READER side of the vpcd protocol in TypeScript, as
 * a CardTransport. It listens on a TCP port as vsmartcard's vpcd driver does
 * inside pcscd; a vpcd card (our VpcdCardClient, or any vicc) connecting is
 * the card being inserted, its disconnect is the removal.
 *
 *   powerOn  -> sends 01 (power on) then 04 (get ATR); resolves with the ATR.
 *   transmit -> sends the APDU as one frame; resolves with the reply frame.
 *   powerOff -> sends 00.
 *
 * The protocol has no request IDs: replies match requests by order. When a
 * call is abandoned while the card stays connected (timeout, powerOff during
 * the call) its late reply is expected and discarded, and the card is
 * powered down so the caller must power-cycle (the contract's TIMEOUT rule).
 *
 * One card per reader: a second connection while one is in is refused
 * (closed at once), as vpcd serves one card per slot.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { systemClock, type Clock } from '../../../common/clock.js';
import { silentLogger, type Logger } from '../../../common/log.js';
import { TransportError } from '../../card-transport.js';
import { SlotTransport } from '../../slot-transport.js';
import { encodeVpcdFrame, VPCD_CTRL, VpcdFrameParser } from './vpcd-framing.js';

export interface VpcdReaderOptions {
  /** Address to listen on (default 127.0.0.1). */
  host?: string;
  /** Port to listen on; 0 picks a free one (see `port`). Default 0. */
  port?: number;
  /** Reader name (default `vpcd:<port>`). */
  name?: string;
  clock?: Clock;
  logger?: Logger;
  /** Timeout of a transmit that gives none (default 30 000 ms). */
  defaultTimeoutMs?: number;
  /** Timeout of powerOn (default 5 000 ms). */
  powerOnTimeoutMs?: number;
}

export class VpcdReaderTransport extends SlotTransport<Socket> {
  private expecting: ((frame: Uint8Array) => void) | undefined;
  private staleReplies = 0;

  private constructor(
    private readonly server: Server,
    /** The TCP port the reader listens on. */
    readonly port: number,
    opts: VpcdReaderOptions,
  ) {
    super({
      name: opts.name ?? `vpcd:${port}`,
      clock: opts.clock ?? systemClock,
      logger: (opts.logger ?? silentLogger).child('vpcd-reader'),
      defaultTimeoutMs: opts.defaultTimeoutMs ?? 30_000,
      powerOnTimeoutMs: opts.powerOnTimeoutMs ?? 5_000,
    });
    server.on('connection', (s) => this.attach(s));
    // After listen, a server error (e.g. EMFILE on accept) would be an unhandled 'error' event: a crash.
    server.on('error', (e: NodeJS.ErrnoException) => this.log.warn('vpcd reader server error', { code: e.code ?? 'unknown' }));
  }

  /** Starts listening; resolves once the port is bound. */
  static listen(opts: VpcdReaderOptions = {}): Promise<VpcdReaderTransport> {
    const server = createServer();
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => {
        server.off('error', reject);
        const addr = server.address();
        const port = typeof addr === 'object' && addr ? addr.port : (opts.port ?? 0);
        resolve(new VpcdReaderTransport(server, port, opts));
      });
    });
  }

  protected coldReset(card: Socket): Promise<Uint8Array> {
    if (this.powered) this.write(card, Uint8Array.of(VPCD_CTRL.OFF));
    this.powered = false;
    this.write(card, Uint8Array.of(VPCD_CTRL.ON));
    return this.request(card, Uint8Array.of(VPCD_CTRL.ATR));
  }

  protected exchange(card: Socket, apdu: Uint8Array): Promise<Uint8Array> {
    return this.request(card, apdu);
  }

  /** Gives up on an awaited reply (it will be discarded when it comes) and powers the card down. */
  protected deactivate(card: Socket): void {
    if (this.expecting) {
      this.expecting = undefined;
      this.staleReplies++;
    }
    if (this.card === card) this.write(card, Uint8Array.of(VPCD_CTRL.OFF));
    this.powered = false;
  }

  protected async release(): Promise<void> {
    const card = this.card;
    this.card = undefined;
    card?.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** A card connected: it is inserted, unless the slot is taken. */
  private attach(socket: Socket): void {
    if (this.closed || this.card) {
      this.log.warn('refusing a second vpcd card', { reader: this.readerName });
      socket.destroy();
      return;
    }
    socket.setNoDelay(true);
    this.card = socket;
    this.powered = false;
    this.staleReplies = 0;
    const parser = new VpcdFrameParser();
    socket.on('data', (chunk: Buffer) => {
      try {
        for (const f of parser.push(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength))) this.onFrame(f);
      } catch (e) {
        this.log.warn('bad frame from the card; dropping it', { reader: this.readerName, error: e });
        socket.destroy();
      }
    });
    socket.on('error', (e: NodeJS.ErrnoException) => this.log.debug('card connection error', { code: e.code ?? 'unknown' }));
    socket.on('close', () => this.detach(socket));
    this.log.info('card inserted', { reader: this.readerName });
    this.events.emit('inserted', (e) => this.log.warn('listener failed', { event: 'inserted', error: e }));
  }

  private detach(socket: Socket): void {
    if (this.card !== socket) return; // a refused second card, or already detached by close()
    this.card = undefined;
    this.powered = false;
    this.expecting = undefined;
    this.staleReplies = 0;
    this.calls.failPending(new TransportError('CARD_REMOVED', 'card removed during the call'));
    this.log.info('card removed', { reader: this.readerName });
    this.events.emit('removed', (e) => this.log.warn('listener failed', { event: 'removed', error: e }));
  }

  private onFrame(frame: Uint8Array): void {
    if (this.staleReplies > 0) {
      this.staleReplies--;
      this.log.debug('discarded a late reply', { reader: this.readerName, length: frame.length });
      return;
    }
    const deliver = this.expecting;
    this.expecting = undefined;
    if (deliver) deliver(frame);
    else this.log.warn('unsolicited frame from the card; ignored', { reader: this.readerName, length: frame.length });
  }

  /** Sends one frame and waits for the next reply frame. */
  private request(card: Socket, payload: Uint8Array): Promise<Uint8Array> {
    return new Promise((resolve) => {
      this.expecting = resolve;
      this.write(card, payload);
    });
  }

  private write(card: Socket, payload: Uint8Array): void {
    if (!card.destroyed && card.writable) card.write(encodeVpcdFrame(payload));
  }
}

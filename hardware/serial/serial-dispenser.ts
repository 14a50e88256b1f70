/**
 * SerialDispenser: a motorized card dispenser with an IC station on a
 * serial line (docs/serial-dispenser.md), as a CardStation
 * (hardware/station.ts), so the kiosk drives it exactly as the simulated
 * station. The port is injected: a serialport `SerialPort` in production,
 * any Duplex in tests (the simulator on a PTY pair, or an in-memory pair).
 *
 * Layers (zigbee-herdsman style): FrameParser (bytes → frames) → Matcher
 * (request/response, ACK/NAK/ENQ, timeouts) → this class (commands →
 * CardStation semantics). Contract refusals (HOPPER_EMPTY, OCCUPIED,
 * NO_CARD, JAM) are StationErrors; other device results are DispenserErrors
 * carrying the protocol's result code.
 */
import { randomBytes } from 'node:crypto';
import type { Duplex } from 'node:stream';
import { systemClock, type Clock } from '../../common/clock.js';
import { silentLogger, type Logger } from '../../common/log.js';
import { StationError, type CardStation, type ReaderIdentity, type StationStatus } from '../station.js';
import { CMD, decodeStatus, ID_READ, ID_SIGN, PM_NONE, RESULT, resultName, type DeviceStatus } from './dispenser-protocol.js';
import { endPort } from './end-port.js';
import { DispenserError } from './errors.js';
import type { Frame } from './frame.js';
import { Matcher } from './matcher.js';
import { FrameParser } from './parser.js';
import { SerialCardTransport } from './serial-transport.js';
import { FrameWriter } from './writer.js';

export interface SerialDispenserOptions {
  /** The open port (a serialport SerialPort, or any Duplex). The dispenser owns it from now on and ends it at close. */
  port: Duplex;
  /** Name for logs and the transport's readerName (default `serial dispenser <id>`). */
  name?: string;
  clock?: Clock;
  logger?: Logger;
  /** Wait for ACK after a command (default 200 ms). */
  ackTimeoutMs?: number;
  /** Retransmissions after NAK/no ACK, and ENQs after no response (default 3). */
  maxRetries?: number;
  /** Response timeout of a card move (default 5000 ms: motors are slow). */
  moveTimeoutMs?: number;
  /** Response timeout of status, identity, IC power and APDU commands (default 2000 ms). */
  commandTimeoutMs?: number;
  /** Random source of the first SEQ (default node:crypto). */
  random?: (n: number) => Uint8Array;
}

export class SerialDispenser implements CardStation {
  readonly transport: SerialCardTransport;
  private closed = false;

  private constructor(
    readonly name: string,
    readonly identity: ReaderIdentity,
    private readonly matcher: Matcher,
    private readonly port: Duplex,
    private readonly log: Logger,
    private readonly timeouts: { move: number; command: number },
    clock: Clock,
  ) {
    this.transport = new SerialCardTransport({ name, clock, logger: log, matcher, cardTimeoutMs: timeouts.command });
  }

  /** Starts talking on `opts.port`: reads the device id and status (a card found at the station is put at the transport, unpowered). */
  static async open(opts: SerialDispenserOptions): Promise<SerialDispenser> {
    const clock = opts.clock ?? systemClock;
    const log = (opts.logger ?? silentLogger).child('serial-dispenser');
    const matcher = new Matcher(new FrameParser(), new FrameWriter(opts.port), {
      clock,
      logger: log,
      ackTimeoutMs: opts.ackTimeoutMs ?? 200,
      maxRetries: opts.maxRetries ?? 3,
      firstSeq: (opts.random ?? randomBytes)(1)[0] ?? 0,
    });
    const onData = (chunk: Buffer): void => matcher.onData(new Uint8Array(chunk));
    opts.port.on('data', onData);
    opts.port.on('error', (e: Error) => matcher.fail(new DispenserError('IO', `port error (${e.name})`)));
    opts.port.on('close', () => matcher.fail(new DispenserError('CLOSED', 'the port closed')));
    const timeouts = { move: opts.moveTimeoutMs ?? 5000, command: opts.commandTimeoutMs ?? 2000 };
    try {
      const idFrame = ok(await matcher.request(CMD.IDENTITY, ID_READ, new Uint8Array(0), timeouts.command), 'identity');
      const id = new TextDecoder().decode(idFrame.data);
      if (!/^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/.test(id)) throw new DispenserError('PROTOCOL', 'the device id is not a registry id');
      const identity: ReaderIdentity = {
        id,
        kind: 'dispenser',
        // The protocol (docs/serial-dispenser.md) names no vendor or model; the device's id is its serial.
        descriptor: { vendor: 'cardline', product: 'stx-etx-dispenser/1', serial: id },
        canSign: true,
        sign: async (message) => {
          const r = ok(await matcher.request(CMD.IDENTITY, ID_SIGN, message, timeouts.command), 'sign');
          if (r.data.length !== 64) throw new DispenserError('PROTOCOL', `signature is ${r.data.length} bytes, not 64`);
          return r.data;
        },
      };
      const d = new SerialDispenser(opts.name ?? `serial dispenser ${id}`, identity, matcher, opts.port, log, timeouts, clock);
      const s = await d.deviceStatus();
      if (s.cardAtIc) d.transport.arrived({ label: '' }, false);
      log.info('dispenser open', { id, cardAtStation: s.cardAtIc, hopper: s.hopper });
      return d;
    } catch (e) {
      matcher.fail(new DispenserError('CLOSED', 'open failed'));
      await endPort(opts.port);
      throw e;
    }
  }

  async cardAtStation(): Promise<boolean> {
    return (await this.deviceStatus()).cardAtIc;
  }

  async status(): Promise<StationStatus> {
    const s = await this.deviceStatus();
    return { hopperRemaining: s.hopperRemaining, hopper: s.hopper, cardAtStation: s.cardAtIc };
  }

  async feed(): Promise<{ label: string }> {
    const r = await this.command(CMD.FEED, this.timeouts.move, 'feed');
    const label = new TextDecoder().decode(r.data);
    this.transport.arrived({ label });
    this.log.info('card fed', { label });
    return { label };
  }

  async eject(): Promise<void> {
    await this.command(CMD.EJECT, this.timeouts.move, 'eject');
    this.transport.left();
    this.log.info('card ejected');
  }

  async capture(): Promise<void> {
    await this.command(CMD.CAPTURE, this.timeouts.move, 'capture');
    this.transport.left();
    this.log.info('card captured');
  }

  /** Fails pending requests (transport calls CANCELED), ends the port. Idempotent. The card stays where it is. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.transport.close();
    this.matcher.fail(new DispenserError('CLOSED', 'the dispenser is closed'));
    await endPort(this.port);
  }

  private async deviceStatus(): Promise<DeviceStatus> {
    const r = await this.command(CMD.STATUS, this.timeouts.command, 'status');
    const s = decodeStatus(r.data);
    if (!s) throw new DispenserError('PROTOCOL', `status is ${r.data.length} bytes`);
    return s;
  }

  private async command(cmd: number, timeoutMs: number, what: string): Promise<Frame> {
    if (this.closed) throw new StationError('CLOSED', 'the dispenser is closed');
    try {
      return ok(await this.matcher.request(cmd, PM_NONE, new Uint8Array(0), timeoutMs), what);
    } catch (e) {
      this.log.warn(`${what} failed`, { code: (e as { code?: unknown }).code, status: (e as { status?: unknown }).status });
      throw e;
    }
  }
}

/** The frame when its result is OK; the contract's refusals as StationError, the rest as DispenserError with the result code. */
function ok(r: Frame, what: string): Frame {
  switch (r.pm) {
    case RESULT.OK:
      return r;
    case RESULT.HOPPER_EMPTY:
      throw new StationError('HOPPER_EMPTY', `${what}: the hopper is empty`);
    case RESULT.OCCUPIED:
      throw new StationError('OCCUPIED', `${what}: a card is at the IC station already`);
    case RESULT.NO_CARD:
      throw new StationError('NO_CARD', `${what}: no card at the IC station`);
    case RESULT.JAM:
      throw new StationError('JAM', `${what}: the mechanism is jammed (result 0x20); the card is where the motor left it`);
    default:
      throw new DispenserError('DEVICE', `${what}: the device refused (${resultName(r.pm)})`, r.pm);
  }
}

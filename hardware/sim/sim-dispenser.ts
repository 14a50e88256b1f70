/**
 * SimDispenser: the device side of the serial dispenser protocol
 * (docs/serial-dispenser.md) over a real serial line — in tests, one end of
 * a socat PTY pair opened with serialport — in front of a SimStation
 * (its hopper, IC station with SimCards, gate, reject bin, reader key).
 * It answers like the firmware of a real dispenser: ACK a good command,
 * NAK a bad BCC, execute, send the response; answer a repeated SEQ again
 * without executing twice; repeat the last response on ENQ.
 *
 * Faults for tests (dispenser-faults.ts): line noise, dropped bytes, NAK
 * storms, corrupt responses, a jam, an empty hopper sensor.
 */
import type { Duplex } from 'node:stream';
import { SerialPort } from 'serialport';
import { equalBytes } from '../../card/bytes.js';
import { silentLogger, type Logger } from '../../common/log.js';
import { isTransportError } from '../card-transport.js';
import { CMD, encodeStatus, IC_OFF, IC_ON, ID_READ, ID_SIGN, RESULT } from '../serial/dispenser-protocol.js';
import { ACK, encodeFrame, ENQ, NAK, type Frame } from '../serial/frame.js';
import { FrameParser, type ParserEvent } from '../serial/parser.js';
import { endPort } from '../serial/end-port.js';
import { FrameWriter } from '../serial/writer.js';
import { isStationError } from '../station.js';
import { damage, noFaults, noiseSource, type DispenserFaults } from './dispenser-faults.js';
import type { SimStation } from './sim-station.js';

export interface SimDispenserOptions {
  station: SimStation;
  port: Duplex;
  logger?: Logger;
  /** Seed of the line noise (default 1). */
  noiseSeed?: number;
}

type Reply = { pm: number; data?: Uint8Array };

export class SimDispenser {
  readonly faults: DispenserFaults = noFaults();
  /** Commands executed (not counting repeats answered from the cache); tests check moves happen once. */
  executed = 0;
  private readonly parser = new FrameParser();
  private readonly writer: FrameWriter;
  private readonly noise: (n: number) => Uint8Array;
  private readonly log: Logger;
  private last: { cmd: Frame; response: Uint8Array | undefined } | undefined;
  private work: Promise<void> = Promise.resolve();
  private cardAtGate = false;

  constructor(private readonly opts: SimDispenserOptions) {
    this.writer = new FrameWriter(opts.port);
    this.noise = noiseSource(opts.noiseSeed ?? 1);
    this.log = (opts.logger ?? silentLogger).child('sim-dispenser');
    opts.port.on('data', (chunk: Buffer) => this.onEvents(this.parser.push(new Uint8Array(chunk))));
    opts.port.on('error', (e: Error) => this.log.warn('port error', { error: e.name }));
  }

  /** Opens the device end of a serial line (e.g. a PTY link made by socat) and serves `station` on it. */
  static async openPath(path: string, station: SimStation, opts: Omit<SimDispenserOptions, 'station' | 'port'> = {}): Promise<SimDispenser> {
    const port = new SerialPort({ path, baudRate: 115200, autoOpen: false });
    await new Promise<void>((resolve, reject) => port.open((e) => (e ? reject(e) : resolve())));
    return new SimDispenser({ ...opts, station, port });
  }

  /** Stops answering and closes the port (the station stays open: its owner closes it). */
  async close(): Promise<void> {
    await this.work;
    await endPort(this.opts.port);
  }

  private onEvents(events: ParserEvent[]): void {
    for (const e of events) {
      if (e.kind === 'corrupt') void this.send(Uint8Array.of(NAK), false);
      else if (e.kind === 'control' && e.byte === ENQ) {
        if (this.last?.response) void this.send(this.last.response, true);
      } else if (e.kind === 'frame') this.onCommand(e.frame);
    }
  }

  private onCommand(f: Frame): void {
    if (this.faults.nak > 0) {
      this.faults.nak--;
      void this.send(Uint8Array.of(NAK), false);
      return;
    }
    void this.send(Uint8Array.of(ACK), false);
    const last = this.last;
    if (last && last.cmd.seq === f.seq && last.cmd.cmd === f.cmd && last.cmd.pm === f.pm && equalBytes(last.cmd.data, f.data)) {
      // A retransmission (its ACK or response was lost): answer again, never move a card twice.
      if (last.response) void this.send(last.response, true);
      return;
    }
    const entry: { cmd: Frame; response: Uint8Array | undefined } = { cmd: f, response: undefined };
    this.last = entry;
    this.work = this.work.then(async () => {
      this.executed++;
      const r = await this.execute(f).catch((e: unknown): Reply => {
        this.log.warn('command failed', { cmd: f.cmd, code: (e as { code?: unknown }).code });
        return { pm: RESULT.CARD_IO };
      });
      entry.response = encodeFrame({ seq: f.seq, cmd: f.cmd, pm: r.pm, data: r.data ?? new Uint8Array(0) });
      await this.send(entry.response, true);
    });
  }

  private async execute(f: Frame): Promise<Reply> {
    const { station } = this.opts;
    const text = (s: string): Uint8Array => new TextEncoder().encode(s);
    switch (f.cmd) {
      case CMD.STATUS: {
        const s = await station.status();
        const empty = this.faults.hopperEmpty || s.hopper === 'empty';
        const data = encodeStatus({
          cardAtIc: s.cardAtStation,
          cardAtGate: this.cardAtGate,
          jam: this.faults.jammed,
          hopper: empty ? 'empty' : s.hopper,
          hopperRemaining: empty ? 0 : s.hopperRemaining,
          icPowered: false,
        });
        return { pm: RESULT.OK, data };
      }
      case CMD.FEED:
        if (this.faults.jammed) return { pm: RESULT.JAM };
        if (this.faults.hopperEmpty) return { pm: RESULT.HOPPER_EMPTY };
        return this.move(async () => {
          const { label } = await station.feed();
          this.cardAtGate = false;
          return { pm: RESULT.OK, data: text(label) };
        });
      case CMD.EJECT:
      case CMD.CAPTURE:
        if (this.faults.jammed) return { pm: RESULT.JAM };
        return this.move(async () => {
          await (f.cmd === CMD.EJECT ? station.eject() : station.capture());
          this.cardAtGate = f.cmd === CMD.EJECT;
          return { pm: RESULT.OK };
        });
      case CMD.IC:
        if (f.pm === IC_OFF) return station.transport.powerOff().then(() => ({ pm: RESULT.OK }));
        if (f.pm !== IC_ON) return { pm: RESULT.BAD_PARAMETER };
        return this.card(async () => ({ pm: RESULT.OK, data: await station.transport.powerOn() }));
      case CMD.APDU:
        if (f.data.length < 4) return { pm: RESULT.BAD_PARAMETER };
        return this.card(async () => ({ pm: RESULT.OK, data: await station.transport.transmit(f.data) }));
      case CMD.IDENTITY: {
        if (f.pm === ID_READ) return { pm: RESULT.OK, data: text(station.identity.id) };
        if (f.pm !== ID_SIGN || f.data.length === 0) return { pm: RESULT.BAD_PARAMETER };
        const sig = await station.identity.sign(f.data);
        return sig ? { pm: RESULT.OK, data: sig } : { pm: RESULT.NO_KEY };
      }
      default:
        return { pm: RESULT.UNKNOWN_COMMAND };
    }
  }

  private async move(op: () => Promise<Reply>): Promise<Reply> {
    try {
      return await op();
    } catch (e) {
      if (isStationError(e, 'HOPPER_EMPTY')) return { pm: RESULT.HOPPER_EMPTY };
      if (isStationError(e, 'OCCUPIED')) return { pm: RESULT.OCCUPIED };
      if (isStationError(e, 'NO_CARD')) return { pm: RESULT.NO_CARD };
      throw e;
    }
  }

  private async card(op: () => Promise<Reply>): Promise<Reply> {
    try {
      return await op();
    } catch (e) {
      if (isTransportError(e, 'NO_CARD')) return { pm: RESULT.NO_CARD };
      if (isTransportError(e, 'NOT_POWERED')) return { pm: RESULT.NOT_POWERED };
      return { pm: isTransportError(e, 'IO') ? RESULT.CARD_MUTE : RESULT.CARD_IO };
    }
  }

  private async send(bytes: Uint8Array, frame: boolean): Promise<void> {
    const out = damage(this.faults, bytes, frame, this.noise);
    if (out.length === 0) return;
    await this.writer.write(out).catch((e: unknown) => this.log.warn('write failed', { code: (e as { code?: unknown }).code }));
  }
}

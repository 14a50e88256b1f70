/**
 * HidKeypad: a USB keypad / PIN pad that presents itself as a HID
 * keyboard (boot-keyboard input reports), read through node-hid's
 * `HIDAsync` on its hidraw node. Implements the Keypad contract
 * (hardware/keypad.ts); protocol and decoding table: docs/keypad.md.
 *
 * Reading hidraw does not take the keys away from the kernel's input layer:
 * the image must not give the keypad to a console or a desktop (see
 * docs/keypad.md "Udev and the console").
 */
import { silentLogger, type Logger } from '../../common/log.js';
import { KeypadError, type Keypad, type KeypadKey } from '../keypad.js';
import type { ReaderIdentity } from '../station.js';
import { KeyEdges, parseBootReport } from './boot-report.js';
import { nodeHidApi, type HidApi, type HidDeviceInfo, type HidHandle } from './hid-api.js';
import { KeypadKit } from './keypad-kit.js';
import { parseKeypadSpec, type KeypadSpec } from './keypad-spec.js';
import { keypadInfo, selectKeypad } from './list-keypads.js';

export interface HidKeypadOptions {
  /** The node-hid boundary (default: the real node-hid). */
  hid?: HidApi;
  logger?: Logger;
  /**
   * The keyboard input report's ID when the device numbers its reports
   * (each report then starts with it); null (default) for a device with
   * unnumbered reports, as boot keyboards are. docs/keypad.md "Report IDs".
   */
  reportId?: number | null;
}

/** Counts of reports not acted on, by reason (never their content). */
export interface ReportCounts {
  presses: number;
  invalid: number;
  rollover: number;
  otherReportId: number;
}

export class HidKeypad implements Keypad {
  readonly name: string;
  readonly identity: ReaderIdentity;
  readonly path: string;
  readonly #handle: HidHandle;
  readonly #log: Logger;
  readonly #reportId: number | null;
  readonly #spec: string;
  readonly #kit: KeypadKit;
  readonly #edges = new KeyEdges();
  readonly #counts: ReportCounts = { presses: 0, invalid: 0, rollover: 0, otherReportId: 0 };
  #released: Promise<void> | undefined;
  #closed: Promise<void> | undefined;

  /**
   * Opens the one keypad `spec` names (`hid:VVVV:PPPP[:SERIAL]`, or parsed).
   * Rejects KeypadError 'ARGUMENT_INVALID' (bad spec or reportId),
   * 'NOT_FOUND', 'AMBIGUOUS', or 'IO' (the node cannot be opened: most often
   * its permissions, see the udev rule).
   */
  static async open(spec: string | KeypadSpec, opts: HidKeypadOptions = {}): Promise<HidKeypad> {
    const parsed = typeof spec === 'string' ? parseKeypadSpec(spec) : spec;
    const reportId = opts.reportId ?? null;
    if (reportId !== null && !(Number.isInteger(reportId) && reportId >= 1 && reportId <= 0xff)) {
      // HID 1.11 §6.2.2.7: Report ID 0 is reserved; IDs are one byte.
      throw new KeypadError('ARGUMENT_INVALID', `reportId must be 1..255 or null, got ${String(reportId)}`);
    }
    const hid = opts.hid ?? nodeHidApi();
    let devices: HidDeviceInfo[];
    try {
      devices = await hid.devicesAsync();
    } catch (e) {
      throw new KeypadError('IO', `cannot list HID devices: ${(e as Error).message}`);
    }
    const device = selectKeypad(devices, parsed);
    let handle: HidHandle;
    try {
      handle = await hid.open(device.path);
    } catch (e) {
      throw new KeypadError('IO', `cannot open ${device.path} (permissions? see docs/keypad.md): ${(e as Error).message}`);
    }
    return new HidKeypad(handle, device, reportId, opts.logger ?? silentLogger);
  }

  private constructor(handle: HidHandle, device: HidDeviceInfo & { path: string }, reportId: number | null, logger: Logger) {
    const info = keypadInfo(device);
    this.#handle = handle;
    this.#reportId = reportId;
    this.#spec = info.spec;
    this.path = device.path;
    // Device strings are the device's own text: no control characters in our names.
    const product = info.productName.replace(/[\p{Cc}\p{Cf}]/gu, ' ').trim().slice(0, 64);
    this.name = product !== '' ? `${info.spec} (${product})` : info.spec;
    this.#log = logger.child('keypad');
    this.identity = {
      id: info.id,
      kind: 'keypad',
      descriptor: info.descriptor,
      canSign: false,
      sign: () => Promise.resolve(undefined),
    };
    this.#kit = new KeypadKit((e) => this.#log.warn('keypad listener threw', { error: e }));
    handle.on('data', this.#onData);
    handle.on('error', this.#onError);
    this.#log.info('keypad open', { keypad: info.spec, id: info.id, path: device.path, reportId });
  }

  get attached(): boolean {
    return this.#kit.state === 'attached';
  }

  /** Reports seen so far, by what became of them (diagnostics; no content). */
  get reportCounts(): Readonly<ReportCounts> {
    return { ...this.#counts };
  }

  on(event: 'key', listener: (key: KeypadKey) => void): () => void;
  on(event: 'detached', listener: (error: KeypadError) => void): () => void;
  on(event: 'key' | 'detached', listener: ((key: KeypadKey) => void) | ((e: KeypadError) => void)): () => void {
    return this.#kit.on(event, listener);
  }

  readKey(opts?: { signal?: AbortSignal }): Promise<KeypadKey> {
    return this.#kit.readKey(opts);
  }

  close(): Promise<void> {
    this.#closed ??= (async () => {
      this.#kit.close();
      this.#edges.wipe();
      await this.#release();
      this.#log.info('keypad closed', { keypad: this.#spec, ...this.#counts });
    })();
    return this.#closed;
  }

  readonly #onData = (data: Buffer): void => {
    if (!(data instanceof Uint8Array)) {
      this.#counts.invalid++;
      return;
    }
    try {
      if (this.#kit.state !== 'attached') return;
      this.#decode(data);
    } finally {
      // The report holds the typed digits: overwrite node-hid's copy (a fresh Buffer per read).
      data.fill(0);
    }
  };

  #decode(data: Uint8Array): void {
    const report = parseBootReport(data, this.#reportId);
    if (report.kind === 'invalid') {
      this.#counts.invalid++;
      this.#log.debug('keypad report ignored', { reason: report.reason, length: data.length });
      return;
    }
    if (report.kind === 'ignored') {
      if (report.reason === 'rollover') this.#counts.rollover++;
      else this.#counts.otherReportId++;
      return;
    }
    const keys = this.#edges.next(report);
    report.keycodes.fill(0);
    this.#counts.presses += keys.length;
    for (const key of keys) this.#kit.press(key);
  }

  readonly #onError = (error: unknown): void => {
    const message = error instanceof Error ? error.message : String(error);
    if (!this.#kit.detach(`keypad ${this.#spec} went away: ${message}`)) return;
    this.#edges.wipe();
    this.#log.warn('keypad detached', { keypad: this.#spec, error: message });
    // Release the node now: the read thread has stopped, and a replug makes a new node.
    this.#release().catch(() => undefined);
  };

  #release(): Promise<void> {
    this.#released ??= (async () => {
      // The 'error' listener stays: an EventEmitter 'error' with no listener would throw; #onError is idempotent.
      this.#handle.removeListener('data', this.#onData);
      try {
        await this.#handle.close();
      } catch (e) {
        // A node that is already gone may fail to close; there is nothing left to release.
        this.#log.debug('keypad close failed', { error: e });
      }
    })();
    return this.#released;
  }
}

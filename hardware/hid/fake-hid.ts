/**
 * A scriptable stand-in for node-hid at the HidApi boundary (hid-api.ts),
 * for tests on machines without uhid (as serialport's binding-mock): list
 * devices, open one, and have it emit input reports and errors exactly as
 * node-hid's HIDAsync does — a fresh Buffer per report, only while a 'data'
 * listener is attached, an 'error' when the device goes away, nothing
 * after close.
 */
import { EventEmitter } from 'node:events';
import type { HidApi, HidDeviceInfo, HidHandle } from './hid-api.js';

export class FakeHidDevice extends EventEmitter implements HidHandle {
  #closed = false;
  #gone = false;

  constructor(readonly info: HidDeviceInfo & { path: string }) {
    super();
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Delivers one input report (copied into a fresh Buffer, as node-hid's read thread does). False when nobody reads. */
  emitReport(bytes: Uint8Array | readonly number[]): boolean {
    if (this.#closed || this.#gone || this.listenerCount('data') === 0) return false;
    return this.emit('data', Buffer.from(bytes as Uint8Array));
  }

  /** The device goes away: node-hid's read fails and emits 'error' (hidapi: "could not read from device"). */
  unplug(message = 'Could not read from HID device'): void {
    if (this.#closed || this.#gone) return;
    this.#gone = true;
    this.emit('error', new Error(message));
  }

  close(): Promise<void> {
    // node-hid's native close throws "device is already closed" on a second call.
    if (this.#closed) return Promise.reject(new TypeError('device is already closed'));
    this.#closed = true;
    this.removeAllListeners();
    return Promise.resolve();
  }
}

export class FakeHid implements HidApi {
  readonly devices: (HidDeviceInfo & { path: string })[] = [];
  /** Every device opened, in order. */
  readonly opened: FakeHidDevice[] = [];
  /** When set, open() rejects with it (e.g. EACCES on the hidraw node). */
  openError: Error | undefined;
  /** When set, devicesAsync() rejects with it (the binding failed). */
  listError: Error | undefined;

  /** Adds a device to the list (a USB keypad's keyboard interface by default). */
  attach(info: Partial<HidDeviceInfo> & { vendorId: number; productId: number; path: string }): this {
    this.devices.push({ release: 0x0100, interface: 0, usagePage: 0x01, usage: 0x06, manufacturer: 'Fake', product: 'Fake Keypad', ...info });
    return this;
  }

  devicesAsync(): Promise<HidDeviceInfo[]> {
    if (this.listError) return Promise.reject(this.listError);
    return Promise.resolve(this.devices.map((d) => ({ ...d })));
  }

  open(path: string): Promise<HidHandle> {
    if (this.openError) return Promise.reject(this.openError);
    const info = this.devices.find((d) => d.path === path);
    if (!info) return Promise.reject(new Error(`cannot open device with path ${path}`));
    const device = new FakeHidDevice(info);
    this.opened.push(device);
    return Promise.resolve(device);
  }

  /** The device most recently opened. */
  get last(): FakeHidDevice {
    const d = this.opened.at(-1);
    if (!d) throw new Error('no device opened');
    return d;
  }
}

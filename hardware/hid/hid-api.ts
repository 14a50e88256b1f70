/**
 * The node-hid boundary, as a small injected interface: the two calls
 * Cardline makes (`devicesAsync`, `HIDAsync.open(path)`) and the part of an
 * open `HIDAsync` it uses ('data' and 'error' events, `close`). Tests
 * inject a fake (hardware/hid/fake-hid.ts) that emits 'data' Buffers as
 * node-hid does; `nodeHidApi()` wires the real module.
 *
 * node-hid 3.4 (nodehid.js, nodehid.d.ts):
 * - `devicesAsync()` resolves with every HID interface hidapi sees: one
 *   entry per interface (a keypad with a consumer-control collection shows
 *   twice). On Linux hidraw, `path` is the /dev/hidrawN node and
 *   `usagePage`/`usage` come from the report descriptor.
 * - `HIDAsync.open(path)` opens one interface. Adding a 'data' listener
 *   starts its read thread; each input report arrives as a Buffer (with the
 *   report ID first when the device numbers its reports). A failed read
 *   (the device unplugged) is an 'error' event; reading then stops.
 * - `close()` stops the thread and releases the node.
 */

import type * as NodeHidModule from 'node-hid';

type NodeHid = typeof NodeHidModule;

/** One HID interface as `devicesAsync` lists it (node-hid's `Device`). */
export interface HidDeviceInfo {
  vendorId: number;
  productId: number;
  path?: string | undefined;
  serialNumber?: string | undefined;
  manufacturer?: string | undefined;
  product?: string | undefined;
  release: number;
  interface: number;
  usagePage?: number | undefined;
  usage?: number | undefined;
}

/** The part of node-hid's `HIDAsync` we use. */
export interface HidHandle {
  on(event: 'data', listener: (data: Buffer) => void): unknown;
  on(event: 'error', listener: (error: unknown) => void): unknown;
  removeListener(event: 'data', listener: (data: Buffer) => void): unknown;
  close(): Promise<void>;
}

export interface HidApi {
  devicesAsync(): Promise<HidDeviceInfo[]>;
  open(path: string): Promise<HidHandle>;
}

/**
 * The real node-hid, loaded on first use (its native binding loads only
 * when a keypad is listed or opened). hidraw backend: node-hid's default on
 * Linux, and what the udev rule (os-image/udev/) grants access to.
 */
export function nodeHidApi(): HidApi {
  const load = (): Promise<NodeHid> => import('node-hid');
  return {
    devicesAsync: async () => (await load()).devicesAsync(),
    open: async (path): Promise<HidHandle> => {
      const handle = await (await load()).HIDAsync.open(path);
      return handle;
    },
  };
}

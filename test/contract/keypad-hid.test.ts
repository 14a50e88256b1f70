/**
 * The Keypad contract on HidKeypad, with a fake device at the node-hid
 * boundary (hardware/hid/fake-hid.ts) emitting boot-keyboard reports as
 * node-hid's HIDAsync does: this machine has no uhid to make a real one.
 */
import { HidKeypad } from '../../hardware/hid/hid-keypad.js';
import { FakeHid } from '../../hardware/hid/fake-hid.js';
import type { KeypadKey } from '../../hardware/keypad.js';
import { keypadContract } from './keypad.contract.js';

/** The usage a PIN pad sends for each key (keypad page codes where there is one). */
const USAGE: Record<KeypadKey, number> = {
  '1': 0x59, '2': 0x5a, '3': 0x5b, '4': 0x5c, '5': 0x5d, '6': 0x5e, '7': 0x5f, '8': 0x60, '9': 0x61, '0': 0x62,
  '.': 0x63, enter: 0x58, cancel: 0x29, backspace: 0x2a, clear: 0xd8,
};

/** node-hid emits 'data' from its read thread's callback: a macrotask later. */
const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

for (const reportId of [null, 1] as const) {
  keypadContract(`HidKeypad (fake node-hid, ${reportId === null ? 'unnumbered reports' : 'report ID 1'})`, async () => {
    const hid = new FakeHid().attach({ vendorId: 0x0c45, productId: 0x7403, path: '/dev/hidraw0', serialNumber: 'SN1' });
    const keypad = await HidKeypad.open('hid:0c45:7403', { hid, reportId });
    const device = hid.last;
    const report = (code: number): number[] => [...(reportId === null ? [] : [reportId]), 0x00, 0x00, code, 0, 0, 0, 0, 0];
    return {
      keypad,
      press: async (...keys) => {
        for (const k of keys) {
          device.emitReport(report(USAGE[k]));
          device.emitReport(report(0));
          await tick();
        }
      },
      unplug: async () => {
        device.unplug();
        await tick();
      },
      teardown: () => keypad.close(),
    };
  });
}

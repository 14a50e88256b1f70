/**
 * The Keypad contract against a real HID keypad named by
 * CARDLINE_TEST_KEYPAD, a keypad spec (hid:VVVV:PPPP[:SERIAL],
 * docs/keypad.md). Nobody presses keys during the run, so only the tests
 * that need no key presses and no unplugging run; the rest say why they
 * skip. Needs read access to the keypad's hidraw node (the udev rule).
 */
import t from 'tap';
import { HidKeypad } from '../../hardware/hid/hid-keypad.js';
import { keypadContract } from './keypad.contract.js';

const spec = process.env.CARDLINE_TEST_KEYPAD;
const reportId = process.env.CARDLINE_TEST_KEYPAD_REPORT_ID;

if (!spec) {
  t.pass('skipped: set CARDLINE_TEST_KEYPAD to a keypad spec (e.g. hid:0c45:7403) to run the Keypad contract on a real keypad', { skip: true });
} else {
  keypadContract(`real keypad ${spec}`, async () => {
    const keypad = await HidKeypad.open(spec, { reportId: reportId !== undefined ? Number(reportId) : null });
    return { keypad, teardown: () => keypad.close() };
  });
}

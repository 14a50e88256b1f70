/** The Keypad contract, in process: SimKeypad. */
import { SimKeypad } from '../../hardware/sim/sim-keypad.js';
import { keypadContract } from './keypad.contract.js';

keypadContract('SimKeypad', () => {
  const keypad = new SimKeypad();
  return Promise.resolve({
    keypad,
    press: (...keys) => Promise.resolve(keypad.press(...keys)),
    unplug: () => Promise.resolve(keypad.detach()),
    teardown: () => keypad.close(),
  });
});

/**
 * The keypad as the terminal's TextInput: line editing on the keypad's
 * keys, no type-ahead between prompts, the end of input when the keypad
 * goes away, and the line buffers overwritten.
 */
import t from 'tap';
import { SimKeypad } from '../../../hardware/sim/sim-keypad.js';
import { KeypadTextInput } from '../../../kiosk/front/keypad-input.js';
import { LineInput } from '../../../kiosk/front/line-input.js';
import { runTerminal } from '../../../kiosk/front/terminal.js';
import type { KioskOutcome } from '../../../kiosk/runner-context.js';

function rig(opts: ConstructorParameters<typeof KeypadTextInput>[1] = {}): { keypad: SimKeypad; input: KeypadTextInput; lines: LineInput } {
  const keypad = new SimKeypad();
  const input = new KeypadTextInput(keypad, opts);
  return { keypad, input, lines: new LineInput(input) };
}

void t.test('digits accumulate; Enter ends the line', async (t) => {
  const { keypad, lines } = rig();
  const line = lines.readLine();
  keypad.type('12345');
  t.equal(await line, '12345');
  const secret = lines.readLine({ secret: true });
  keypad.type('0.9');
  t.equal(await secret, '0.9', 'secret lines too (no TTY: nothing to switch)');
});

void t.test('backspace, clear and cancel edit the line; Enter on an empty line is ignored', async (t) => {
  const { keypad, lines } = rig();
  const line = lines.readLine();
  keypad.press('enter', 'backspace', '1', '2', 'backspace', '3');
  keypad.press('clear', '4', '5', 'cancel', '6', '7', 'backspace', 'backspace', 'backspace', '8', 'enter');
  t.equal(await line, '8');
});

void t.test('keys while LineInput is not reading are dropped, partial lines too', async (t) => {
  const { keypad, input, lines } = rig();
  keypad.press('9', '9', 'enter');
  const line = lines.readLine();
  keypad.press('1');
  input.pause();
  input.resume();
  keypad.type('2');
  t.equal(await line, '2', 'the 9s before the prompt and the 1 before the pause are gone');
});

void t.test('maxLength bounds the line; onEdit gets lengths only', async (t) => {
  const lengths: number[] = [];
  const { keypad, lines } = rig({ maxLength: 3, onEdit: (n) => lengths.push(n) });
  const line = lines.readLine();
  keypad.type('12345');
  t.equal(await line, '123');
  t.same(lengths, [1, 2, 3, 3, 3, 0]);
  t.throws(() => new KeypadTextInput(new SimKeypad(), { maxLength: 0 }), RangeError);
});

void t.test('the chunk handed to LineInput is overwritten after delivery', (t) => {
  const keypad = new SimKeypad();
  const input = new KeypadTextInput(keypad);
  const chunks: { copy: string; buf: Buffer }[] = [];
  input.on('data', (b: Buffer) => chunks.push({ copy: b.toString('latin1'), buf: b }));
  input.resume();
  keypad.type('4711');
  t.equal(chunks.length, 1);
  t.equal(chunks[0]!.copy, '4711\r', 'the line and CR, as a terminal sends it');
  t.ok(chunks[0]!.buf.every((x) => x === 0), 'zero once the listeners returned');
  t.end();
});

void t.test('the keypad going away ends the input; destroy detaches from the keypad', async (t) => {
  const { keypad, input, lines } = rig();
  const events: string[] = [];
  input.on('end', () => events.push('end'));
  input.on('close', () => events.push('close'));
  const line = lines.readLine();
  keypad.press('1', '2');
  keypad.detach();
  t.equal(await line, undefined, 'a waiting readLine resolves undefined; the partial line is not delivered');
  t.same(events, ['end', 'close']);
  const k2 = new SimKeypad();
  const in2 = new KeypadTextInput(k2);
  const seen: unknown[] = [];
  in2.on('data', (c) => seen.push(c));
  in2.resume();
  in2.destroy();
  in2.destroy();
  k2.type('5');
  t.same(seen, [], 'no data after destroy');
  t.equal(k2.attached, true, 'destroy leaves the keypad to its owner');
  const k3 = new SimKeypad();
  await k3.close();
  const in3 = new KeypadTextInput(k3);
  const ended = new Promise<void>((resolve) => in3.on('end', () => resolve()));
  await ended;
  t.pass('a keypad already closed ends the input at once');
});

void t.test('the terminal front end served from a keypad', async (t) => {
  const { keypad, lines } = rig();
  const requests: [string, string][] = [];
  const out: string[] = [];
  const agent = {
    request: (application: string, code: string): Promise<KioskOutcome> => {
      requests.push([application, code]);
      return Promise.resolve<KioskOutcome>({ outcome: 'issued' });
    },
  };
  const done = runTerminal({ agent, input: lines, write: (s) => {
    out.push(s);
    // The customer types at each prompt.
    if (s === 'Application ID: ') queueMicrotask(() => keypad.type('1001'));
    if (s === 'One-time code: ') queueMicrotask(() => keypad.type('73914'));
  }, once: true });
  const last = await done;
  t.same(requests, [['1001', '73914']]);
  t.equal(last?.outcome, 'issued');
  t.notMatch(out.join(''), /73914/, 'the code is never written');
});

/**
 * The Keypad contract suite: every implementation runs these tests through
 * its own rig. The assertions restate the doc comment of hardware/keypad.ts.
 *
 * A rig says what it can do. Without `press` (a real keypad with nobody at
 * it) the key tests are skipped; without `unplug` the detach test is
 * skipped. Each skip says why.
 */
import { rigTests } from './rig-test.js';
import { isKeypadError, type Keypad, type KeypadError, type KeypadErrorCode, type KeypadKey } from '../../hardware/keypad.js';

export interface KeypadRig {
  keypad: Keypad;
  /** Presses (and releases) keys on the device; resolves once the keypad has seen them. */
  press?(...keys: KeypadKey[]): Promise<void>;
  /** The device goes away; resolves once the keypad has seen it. */
  unplug?(): Promise<void>;
  teardown(): Promise<void>;
}

export type KeypadRigFactory = () => Promise<KeypadRig>;


export function keypadContract(name: string, factory: KeypadRigFactory): void {
  const withRig = rigTests(name, factory, (e, code: KeypadErrorCode) => isKeypadError(e, code));

  withRig('identity: kind keypad, no key, a descriptor', [], async ({ keypad }, t) => {
    t.equal(keypad.identity.kind, 'keypad');
    t.equal(keypad.identity.canSign, false, 'a keypad cannot sign');
    t.equal(await keypad.identity.sign(new Uint8Array(32)), undefined, 'sign resolves undefined');
    t.type(keypad.identity.id, 'string');
    t.ok(keypad.identity.id.length > 0, 'an id');
    const d = keypad.identity.descriptor;
    t.ok(typeof d.vendor === 'string' && d.vendor !== '' && typeof d.product === 'string' && d.product !== '', 'vendor and product');
    t.ok(d.serial === null || (typeof d.serial === 'string' && d.serial !== ''), 'serial: a string or null');
    t.type(keypad.name, 'string');
    t.equal(keypad.attached, true, 'attached once open');
  });

  withRig('each press reaches every listener once, in order; unsubscribe works', ['press'], async (rig, t) => {
    const a: KeypadKey[] = [];
    const b: KeypadKey[] = [];
    const offA = rig.keypad.on('key', (k) => a.push(k));
    const offB = rig.keypad.on('key', (k) => b.push(k));
    await rig.press!('1', '2', '3', 'backspace', '0', 'enter', 'cancel', 'clear', '.');
    const all: KeypadKey[] = ['1', '2', '3', 'backspace', '0', 'enter', 'cancel', 'clear', '.'];
    t.same(a, all, 'listener a');
    t.same(b, all, 'listener b');
    offA();
    await rig.press!('9');
    t.same(a, all, 'unsubscribed: nothing more');
    t.same(b.at(-1), '9', 'the other listener still hears');
    offB();
  });

  withRig('a throwing listener does not stop the others', ['press'], async (rig, t) => {
    const seen: KeypadKey[] = [];
    const offBad = rig.keypad.on('key', () => {
      throw new Error('listener bug');
    });
    const off = rig.keypad.on('key', (k) => seen.push(k));
    await rig.press!('4', '5');
    t.same(seen, ['4', '5']);
    t.equal(rig.keypad.attached, true, 'still attached');
    offBad();
    off();
  });

  withRig('readKey: the next key, one call at a time, abortable, no type-ahead', ['press'], async (rig, t, rejects) => {
    const { keypad } = rig;
    await rig.press!('7');
    const first = keypad.readKey();
    await rejects(keypad.readKey(), 'BUSY', 'a second readKey');
    await rig.press!('8', '9');
    t.equal(await first, '8', 'the key pressed after the call, not the earlier 7 (no type-ahead), nor the later 9');
    const ac = new AbortController();
    const aborted = keypad.readKey({ signal: ac.signal });
    ac.abort(new Error('customer walked away'));
    await t.rejects(aborted, { message: 'customer walked away' }, 'abort rejects with the signal reason');
    await t.rejects(keypad.readKey({ signal: ac.signal }), { message: 'customer walked away' }, 'an aborted signal rejects at once');
    const next = keypad.readKey();
    await rig.press!('enter');
    t.equal(await next, 'enter', 'usable after an abort');
  });

  withRig('detach: once, DETACHED for pending and later calls, no keys after', ['press', 'unplug'], async (rig, t, rejects) => {
    const { keypad } = rig;
    const detached: KeypadError[] = [];
    const keys: KeypadKey[] = [];
    keypad.on('detached', (e) => detached.push(e));
    keypad.on('key', (k) => keys.push(k));
    const pending = rejects(keypad.readKey(), 'DETACHED', 'pending readKey');
    await rig.unplug!();
    await pending;
    t.equal(detached.length, 1, "one 'detached'");
    t.ok(isKeypadError(detached[0], 'DETACHED'), 'with a KeypadError DETACHED');
    t.equal(keypad.attached, false, 'attached false');
    await rejects(keypad.readKey(), 'DETACHED', 'a later readKey');
    await rig.press!('1').catch(() => undefined);
    t.same(keys, [], 'no key after detach');
    await keypad.close();
    await keypad.close();
    t.equal(detached.length, 1, 'close after detach emits nothing more');
    await rejects(keypad.readKey(), 'CLOSED', 'readKey after close');
  });

  withRig('close: pending readKey CANCELED, idempotent, then CLOSED, and silence', [], async (rig, t, rejects) => {
    const { keypad } = rig;
    const events: string[] = [];
    keypad.on('key', () => events.push('key'));
    keypad.on('detached', () => events.push('detached'));
    const pending = keypad.readKey();
    const closing = keypad.close();
    await rejects(pending, 'CANCELED', 'pending readKey');
    await closing;
    await keypad.close();
    t.pass('close is idempotent');
    t.equal(keypad.attached, false, 'attached false after close');
    await rejects(keypad.readKey(), 'CLOSED', 'readKey after close');
    const off = keypad.on('key', () => events.push('late'));
    t.type(off, 'function', 'on after close returns an unsubscribe');
    off();
    if (rig.press) await rig.press('1').catch(() => undefined);
    if (rig.unplug) await rig.unplug().catch(() => undefined);
    t.same(events, [], "no 'key' and no 'detached' after our own close");
  });
}

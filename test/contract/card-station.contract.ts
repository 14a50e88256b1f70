/**
 * The CardStation (dispenser) contract suite: every implementation runs
 * these tests through its own rig. The assertions restate the doc comment
 * of hardware/station.ts: a card is in one place at a time, feed/eject/
 * capture move it or refuse with a StationError and move nothing, the
 * transport reaches the card at the station only, the card's power is cut
 * when it leaves, close is idempotent and final, the identity signs when it
 * says it can.
 *
 * A rig says what it can do. A real device cannot be told how many cards
 * its hopper holds (the empty-hopper test needs `hopperCount`), nor be
 * checked for the signature without its registered key (`publicKey`);
 * those tests are skipped with the reason. Tests on a real device use up
 * cards: each one fed is captured to the reject bin.
 */
import { encodeCommand, parseResponse } from '../../card/apdu.js';
import { selectIsd } from '../../card/gp/select.js';
import { ed25519 } from '@noble/curves/ed25519.js';
import { isStationError, type CardStation, type StationErrorCode } from '../../hardware/station.js';
import { isTransportError } from '../../hardware/card-transport.js';
import { rigTests } from './rig-test.js';

export interface CardStationRig {
  station: CardStation;
  /** Cards in the hopper at the start, when the rig knows (a simulator). */
  hopperCount?: number;
  /** The identity key the registry would hold, to check signatures. */
  publicKey?: Uint8Array;
  /** Closes the station and opens the same device again (the restart test). */
  reopen?(): Promise<CardStation>;
  teardown(): Promise<void>;
}

export type StationRigFactory = () => Promise<CardStationRig>;


const ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/;

export function cardStationContract(name: string, factory: StationRigFactory): void {
  const withRig = rigTests(name, factory, (e, code: StationErrorCode) => isStationError(e, code));

  withRig('identity: a registry ID, a kind, a descriptor; a signature that verifies when it can sign', [], async ({ station, publicKey }, t) => {
    const id = station.identity;
    t.match(id.id, ID, 'the ID fits the registry');
    t.ok(['sim', 'pcsc', 'dispenser'].includes(id.kind), `kind ${id.kind}`);
    t.type(id.descriptor.vendor, 'string');
    t.type(id.descriptor.product, 'string');
    t.ok(id.descriptor.serial === null || typeof id.descriptor.serial === 'string', 'serial is a string or null');
    const message = new TextEncoder().encode('cardline contract challenge 0123456789');
    const sig = await id.sign(message);
    if (!id.canSign) {
      t.equal(sig, undefined, 'a device without a key signs nothing');
      return;
    }
    t.equal(sig?.length, 64, 'a 64-byte Ed25519 signature');
    if (publicKey) {
      t.ok(sig && ed25519.verify(sig, message, publicKey), 'it verifies with the registered key');
      const other = await id.sign(new TextEncoder().encode('another message, another signature'));
      t.notOk(other && ed25519.verify(other, message, publicKey), 'a signature is for its message only');
    }
  });

  withRig('feed puts a card at the IC station; the transport reaches it; capture takes it away', [], async ({ station }, t) => {
    const before = await station.status();
    t.equal(before.cardAtStation, false, 'the station starts empty');
    t.equal(await station.cardAtStation(), false);
    const events: string[] = [];
    station.transport.on('inserted', () => events.push('in'));
    station.transport.on('removed', () => events.push('out'));
    const { label } = await station.feed();
    t.type(label, 'string', 'feed names what the mechanism knows of the card');
    t.equal(await station.cardAtStation(), true, 'a card at the station');
    t.equal(station.transport.cardPresent, true, 'the transport sees it');
    const atr = await station.transport.powerOn();
    t.ok(atr.length >= 2 && atr.length <= 33 && (atr[0] === 0x3b || atr[0] === 0x3f), 'an ATR');
    const sel = parseResponse(await station.transport.transmit(encodeCommand(selectIsd())));
    t.equal(sel.sw, 0x9000, 'SELECT of the ISD answers 9000 through the station');
    await station.capture();
    t.equal(await station.cardAtStation(), false, 'the station is empty again');
    t.same(events, ['in', 'out'], 'inserted, then removed');
    const after = await station.status();
    if (before.hopperRemaining !== undefined) t.equal(after.hopperRemaining, before.hopperRemaining - 1, 'one card fewer in the hopper');
  });

  withRig('a second feed is refused OCCUPIED and moves nothing; eject then frees the station', [], async ({ station }, t, rejects) => {
    await station.feed();
    const held = await station.status();
    await rejects(station.feed(), 'OCCUPIED', 'feed onto an occupied station');
    t.same(await station.status(), held, 'nothing moved');
    await station.eject();
    t.equal(await station.cardAtStation(), false, 'eject empties the station');
    await rejects(station.eject(), 'NO_CARD', 'eject with nothing there');
    await rejects(station.capture(), 'NO_CARD', 'capture with nothing there');
  });

  withRig("a card's power is cut when it leaves the station", [], async ({ station }, t) => {
    await station.feed();
    await station.transport.powerOn();
    await station.capture();
    t.equal(station.transport.cardPresent, false, 'no card at the transport');
    try {
      await station.transport.transmit(encodeCommand(selectIsd()));
      t.fail('a transmit after the card left resolved');
    } catch (e) {
      t.ok(isTransportError(e, 'NO_CARD') || isTransportError(e, 'NOT_POWERED'), 'a transmit after the card left is refused', { got: (e as Error).message });
    }
    try {
      await station.transport.powerOn();
      t.fail('powerOn with no card resolved');
    } catch (e) {
      t.ok(isTransportError(e, 'NO_CARD'), 'powerOn with no card: NO_CARD', { got: (e as Error).message });
    }
  });

  withRig('an empty hopper refuses HOPPER_EMPTY and moves nothing', ['hopperCount'], async ({ station, hopperCount }, t, rejects) => {
    for (let i = 0; i < (hopperCount ?? 0); i++) {
      await station.feed();
      await station.capture();
    }
    const s = await station.status();
    t.equal(s.hopper, 'empty', 'the hopper says empty');
    await rejects(station.feed(), 'HOPPER_EMPTY', 'feed from an empty hopper');
    t.equal(await station.cardAtStation(), false, 'nothing reached the station');
  });

  withRig('after a restart the station tells the truth about the card at it', ['reopen'], async (rig, t) => {
    await rig.station.feed();
    const again = await rig.reopen!();
    t.equal(await again.cardAtStation(), true, 'the card is still at the station');
    t.equal(again.transport.cardPresent, true, 'and the transport reaches it');
    await again.capture();
    t.equal(await again.cardAtStation(), false);
  });

  withRig('close is idempotent and final', [], async ({ station }, t, rejects) => {
    await station.close();
    await station.close();
    t.pass('a second close resolves');
    await rejects(station.feed(), 'CLOSED', 'feed after close');
    await rejects(station.status(), 'CLOSED', 'status after close');
    try {
      await station.transport.powerOn();
      t.fail('powerOn after close resolved');
    } catch (e) {
      t.ok(isTransportError(e, 'CLOSED'), 'the transport is closed too', { got: (e as Error).message });
    }
  });
}

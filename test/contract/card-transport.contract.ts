/**
 * The CardTransport contract suite: every implementation runs these tests
 * through its own rig (a factory). The assertions restate the doc comments
 * of hardware/card-transport.ts, plus the edges our simulated transports
 * pin down (timeout powers down, powerOff during a call -> NOT_POWERED).
 *
 * A rig says what it can do. Without insert/remove (a real reader with a
 * human at it) the removal tests are skipped; without stall and a fake clock
 * the pending-call tests are skipped. Each skip says why.
 */
import { encodeCommand } from '../../card/apdu.js';
import { hex, toHex } from '../../card/bytes.js';
import { selectByAid } from '../../card/gp/select.js';
import type { FakeClock } from '../../common/clock.js';
import { isTransportError, type CardTransport, type TransportErrorCode } from '../../hardware/card-transport.js';
import type { Stall } from './gated-card.js';
import { rigTests } from './rig-test.js';

export interface CardTransportRig {
  transport: CardTransport;
  /** Puts the card in; resolves once the transport has emitted 'inserted'. The rig starts with the card in. */
  insert?(): Promise<void>;
  /** Takes the card out; resolves once the transport has seen it (cardPresent false). */
  remove?(): Promise<void>;
  /** Holds the card's next answer (see GatedCard). */
  stallNext?(): Stall;
  /** The clock the transport's timeouts run on, when the rig can drive it. */
  clock?: FakeClock;
  /** AID of the card's ISD (default A000000151000000, the GP default ISD). */
  isdAid?: Uint8Array;
  teardown(): Promise<void>;
}

export type RigFactory = () => Promise<CardTransportRig>;


const DEFAULT_ISD = hex('A000000151000000');

export function cardTransportContract(name: string, factory: RigFactory): void {
  const select = (rig: CardTransportRig): Uint8Array => encodeCommand(selectByAid(rig.isdAid ?? DEFAULT_ISD));
  const withRig = rigTests(name, factory, (e, code: TransportErrorCode) => isTransportError(e, code));

  withRig('power on resolves with an ATR', [], async ({ transport }, t) => {
    t.equal(transport.cardPresent, true, 'card present');
    t.type(transport.readerName, 'string');
    const atr = await transport.powerOn();
    t.ok(atr.length >= 2 && atr.length <= 33, `ATR of ${atr.length} bytes (ISO 7816-3 §8.2.1: at most 33)`);
    t.ok(atr[0] === 0x3b || atr[0] === 0x3f, 'TS is 3B (direct) or 3F (inverse convention)');
    const again = await transport.powerOn();
    t.equal(toHex(again), toHex(atr), 'a second powerOn (cold reset) gives the same ATR');
  });

  withRig('SELECT of the ISD answers 9000 with an FCI', [], async (rig, t) => {
    await rig.transport.powerOn();
    const r = await rig.transport.transmit(select(rig));
    t.equal(toHex(r.slice(-2)), '9000', 'SW 9000');
    t.equal(r[0], 0x6f, 'FCI template 6F (GPC v2.3.1 §11.9.3)');
    t.ok(toHex(r).includes(toHex(rig.isdAid ?? DEFAULT_ISD)), 'FCI names the ISD AID (tag 84)');
  });

  withRig('transmit before powerOn and after powerOff rejects NOT_POWERED', [], async (rig, t, rejects) => {
    const { transport } = rig;
    await rejects(transport.transmit(select(rig)), 'NOT_POWERED', 'before powerOn');
    await transport.powerOn();
    await transport.powerOff();
    await transport.powerOff();
    t.pass('powerOff is idempotent');
    await rejects(transport.transmit(select(rig)), 'NOT_POWERED', 'after powerOff');
    await transport.powerOn();
    const r = await transport.transmit(select(rig));
    t.equal(toHex(r.slice(-2)), '9000', 'works again after a new powerOn');
  });

  withRig('a second transmit while one is pending rejects BUSY; the first completes', [], async (rig, t, rejects) => {
    const { transport } = rig;
    await transport.powerOn();
    const first = transport.transmit(select(rig));
    await rejects(transport.transmit(select(rig)), 'BUSY', 'second transmit');
    await rejects(transport.powerOn(), 'BUSY', 'powerOn during a transmit');
    t.equal(toHex((await first).slice(-2)), '9000', 'first transmit unaffected');
    t.equal(toHex((await transport.transmit(select(rig))).slice(-2)), '9000', 'free again afterwards');
  });

  withRig('without a card: NO_CARD; events on insert and remove', ['insert', 'remove'], async (rig, t, rejects) => {
    const { transport } = rig;
    const seen: string[] = [];
    const offIn = transport.on('inserted', () => seen.push('inserted'));
    const offOut = transport.on('removed', () => seen.push('removed'));
    await transport.powerOn();
    await rig.remove!();
    t.equal(transport.cardPresent, false, 'cardPresent false after removal');
    await rejects(transport.powerOn(), 'NO_CARD', 'powerOn');
    await rejects(transport.transmit(select(rig)), 'NO_CARD', 'transmit');
    await transport.powerOff();
    t.pass('powerOff resolves without a card');
    await rig.insert!();
    t.equal(transport.cardPresent, true, 'cardPresent after insert');
    await rejects(transport.transmit(select(rig)), 'NOT_POWERED', 'a new card starts unpowered');
    t.same(seen, ['removed', 'inserted'], 'one event each, in order');
    offIn();
    offOut();
    await rig.remove!();
    await rig.insert!();
    t.same(seen, ['removed', 'inserted'], 'unsubscribed listeners are not called');
    await transport.powerOn();
    t.equal(toHex((await transport.transmit(select(rig))).slice(-2)), '9000', 'reinserted card works');
  });

  withRig('removal during a transmit rejects it CARD_REMOVED, later calls NO_CARD', ['insert', 'remove', 'stallNext'], async (rig, t, rejects) => {
    const { transport } = rig;
    await transport.powerOn();
    const stall = rig.stallNext!();
    const pending = transport.transmit(select(rig));
    await stall.reached;
    const removed = rig.remove!();
    await rejects(pending, 'CARD_REMOVED', 'pending transmit');
    await removed;
    stall.release();
    await rejects(transport.transmit(select(rig)), 'NO_CARD', 'next transmit');
  });

  withRig('timeout rejects TIMEOUT, powers down, and the late answer is never delivered', ['stallNext', 'clock'], async (rig, t, rejects) => {
    const { transport } = rig;
    const atr = await transport.powerOn();
    const stall = rig.stallNext!();
    const pending = transport.transmit(select(rig), { timeoutMs: 1000 });
    await stall.reached;
    rig.clock!.advance(999);
    rig.clock!.advance(1);
    await rejects(pending, 'TIMEOUT', 'stalled transmit');
    await rejects(transport.transmit(select(rig)), 'NOT_POWERED', 'after a timeout the card must be power-cycled');
    // The late answer comes out only after the power-on has asked for the ATR: it must not be taken for it.
    const poweringOn = transport.powerOn();
    stall.release();
    t.equal(toHex(await poweringOn), toHex(atr), 'powerOn gets the ATR, not the late answer');
    // GET DATA CPLC (9F7F) answers differently from SELECT: a stale SELECT answer would show.
    const r = await transport.transmit(hex('80CA9F7F00'));
    t.not(r[0], 0x6f, 'not the late FCI');
    const s = await transport.transmit(select(rig));
    t.equal(toHex(s.slice(-2)), '9000', 'in step again');
  });

  withRig('powerOff during a transmit rejects it NOT_POWERED', ['stallNext'], async (rig, t, rejects) => {
    const { transport } = rig;
    await transport.powerOn();
    const stall = rig.stallNext!();
    const pending = transport.transmit(select(rig));
    await stall.reached;
    await transport.powerOff();
    await rejects(pending, 'NOT_POWERED', 'pending transmit');
    stall.release();
    await transport.powerOn();
    t.equal(toHex((await transport.transmit(select(rig))).slice(-2)), '9000', 'usable after a new powerOn');
  });

  withRig('close cancels the pending call, later calls reject CLOSED, close is idempotent', [], async (rig, t, rejects) => {
    const { transport } = rig;
    await transport.powerOn();
    const stall = rig.stallNext?.();
    const pending = transport.transmit(select(rig));
    if (stall) await stall.reached;
    const closing = transport.close();
    await rejects(pending, 'CANCELED', 'pending transmit');
    await closing;
    stall?.release();
    await transport.close();
    t.pass('second close resolves');
    await rejects(transport.powerOn(), 'CLOSED', 'powerOn');
    await rejects(transport.transmit(select(rig)), 'CLOSED', 'transmit');
    await rejects(transport.powerOff(), 'CLOSED', 'powerOff');
  });
}

/**
 * The serial dispenser driver (hardware/serial/) against the simulated
 * dispenser (hardware/sim/sim-dispenser.ts) over a real PTY pair made by
 * socat, both ends opened with serialport: moves, IC power, APDUs answered
 * by a real SimCard, the identity signature, and the line and mechanism
 * faults (noise, dropped bytes, NAK storm, corrupt responses, jam, empty
 * hopper). Each test starts its own socat and kills it in teardown.
 */
import t, { type Test } from 'tap';
import { SerialPort } from 'serialport';
import { ed25519 } from '@noble/curves/ed25519.js';
import { endPort } from '../../../hardware/serial/end-port.js';
import { SerialDispenser } from '../../../hardware/serial/serial-dispenser.js';
import type { SimDispenser } from '../../../hardware/sim/sim-dispenser.js';
import type { SimStation } from '../../../hardware/sim/sim-station.js';
import { startPtyDispenser } from '../../fixtures/pty-dispenser.js';
import { initUpdate, KMC, madeWith } from './station-helpers.js';

interface Rig {
  host: SerialDispenser;
  sim: SimDispenser;
  station: SimStation;
}

async function rig(t: Test, count = 3): Promise<Rig> {
  const pty = await startPtyDispenser({ create: { count, stockMasterKey: KMC } });
  t.teardown(() => pty.stop());
  const port = new SerialPort({ path: pty.hostPath, baudRate: 115200, autoOpen: false });
  await new Promise<void>((resolve, reject) => port.open((e) => (e ? reject(e) : resolve())));
  pty.own({ close: () => endPort(port) });
  const host = await SerialDispenser.open({ port, ackTimeoutMs: 150, maxRetries: 3, moveTimeoutMs: 3000, commandTimeoutMs: 2000 });
  pty.own(host);
  return { host, sim: pty.sim, station: pty.station };
}

const tx = (h: SerialDispenser) => (apdu: Uint8Array) => h.transport.transmit(apdu);

void t.test('feed, power, SELECT ISD + INITIALIZE UPDATE by the real SimCard, eject; feed, capture; identity', async (t) => {
  const { host, sim, station } = await rig(t);
  t.equal(host.identity.id, station.identity.id, 'the device id');
  t.equal(host.identity.kind, 'dispenser');
  const msg = new TextEncoder().encode('challenge 0123456789abcdef');
  const sig = await host.identity.sign(msg);
  t.ok(sig && ed25519.verify(sig, msg, station.identity.publicKey), 'the signature verifies with the reader key');
  t.same(await host.status(), { hopperRemaining: 3, hopper: 'low', cardAtStation: false });

  const events: string[] = [];
  host.transport.on('inserted', () => events.push('in'));
  host.transport.on('removed', () => events.push('out'));
  const { label } = await host.feed();
  t.same(await station.cards('ic'), [label], 'the label is the card at the IC station');
  t.equal(await host.cardAtStation(), true);
  await t.rejects(host.feed(), { code: 'OCCUPIED' });
  await t.rejects(host.transport.transmit(Uint8Array.of(0x00, 0xa4, 0x04, 0x00)), { code: 'NOT_POWERED' });
  const atr = await host.transport.powerOn();
  t.ok(atr.length >= 2 && atr[0] === 0x3b, 'a direct-convention ATR');
  t.ok(madeWith(KMC, await initUpdate(tx(host))), 'the card cryptogram verifies under the stock master key');
  await host.eject();
  t.same(await station.cards('gate'), [label]);
  t.same(events, ['in', 'out']);
  await t.rejects(host.transport.powerOn(), { code: 'NO_CARD' });
  await t.rejects(host.eject(), { code: 'NO_CARD' });

  const second = await host.feed();
  await host.capture();
  t.same(await station.cards('reject'), [second.label]);
  t.match(await host.status(), { hopperRemaining: 1, cardAtStation: false });
  t.ok(sim.executed > 0);
  await host.close();
  await t.rejects(host.status(), { code: 'CLOSED' });
  await t.rejects(host.transport.powerOn(), { code: 'CLOSED' });
});

void t.test('line noise between frames: every command still goes through', async (t) => {
  const { host, sim, station } = await rig(t);
  sim.faults.noiseBytes = 12;
  const { label } = await host.feed();
  await host.transport.powerOn();
  t.ok(madeWith(KMC, await initUpdate(tx(host))));
  await host.eject();
  t.same(await station.cards('gate'), [label]);
  t.match(await host.status(), { hopperRemaining: 2 });
});

void t.test('dropped bytes: a lost ACK and a truncated response are recovered, and the card moves once', async (t) => {
  const { host, sim, station } = await rig(t);
  const before = sim.executed;
  sim.faults.drop = 2; // the ACK of FEED and one byte of its response
  const { label } = await host.feed();
  t.equal(sim.faults.drop, 0, 'both faults fired');
  t.equal(sim.executed - before, 1, 'the retransmitted FEED was answered from the device cache, not executed again');
  t.same(await station.cards('ic'), [label]);
  t.same((await station.cards('hopper')).length, 2);
  sim.faults.corruptResponses = 2; // the host ENQs twice
  await host.transport.powerOn();
  t.ok(madeWith(KMC, await initUpdate(tx(host))));
});

void t.test('NAK storm: gives up after the retries with NAK_LIMIT; the line works after it', async (t) => {
  const { host, sim } = await rig(t);
  sim.faults.nak = 1000;
  await t.rejects(host.feed(), { name: 'DispenserError', code: 'NAK_LIMIT' });
  t.equal(1000 - sim.faults.nak, 4, '1 try + 3 retries');
  sim.faults.nak = 2; // fewer NAKs than retries: recovered
  t.match(await host.status(), { cardAtStation: false, hopperRemaining: 3 });
});

void t.test('jam: StationError JAM (protocol result 0x20); nothing moves; cleared, the feed works', async (t) => {
  const { host, sim, station } = await rig(t);
  sim.faults.jammed = true;
  await t.rejects(host.feed(), { name: 'StationError', code: 'JAM', message: /result 0x20/ });
  t.same(await station.cards('ic'), []);
  sim.faults.jammed = false;
  await host.feed();
  t.equal((await station.cards('ic')).length, 1);
});

void t.test('empty hopper: StationError HOPPER_EMPTY (the CardStation contract), by count and by sensor', async (t) => {
  const { host, sim } = await rig(t, 1);
  await host.feed();
  await host.capture();
  t.match(await host.status(), { hopper: 'empty', hopperRemaining: 0 });
  await t.rejects(host.feed(), { name: 'StationError', code: 'HOPPER_EMPTY' });
  const other = await rig(t, 3);
  other.sim.faults.hopperEmpty = true;
  await t.rejects(other.host.feed(), { name: 'StationError', code: 'HOPPER_EMPTY' });
  t.match(await other.host.status(), { hopper: 'empty' });
  t.ok(sim.executed > 0);
});

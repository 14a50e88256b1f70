/**
 * Issue 5 point 6: the issuance test over the serial dispenser. The kiosk
 * agent opens its station by configuration (`serial:PATH`) and drives the
 * real serialport driver (hardware/serial/) on the host end of a socat PTY
 * pair; the simulated dispenser on the device end serves
 * the rig's simulated station. The registry lists the dispenser (kind
 * 'dispenser', its descriptor and its key), and the whole happy path holds:
 * the card at the gate reads back equal to the application, the audit log
 * verifies.
 */
import t from 'tap';
import { addReader } from '../../../center/registry.js';
import { systemClock } from '../../../common/clock.js';
import { silentLogger } from '../../../common/log.js';
import { openStation } from '../../../hardware/open-station.js';
import { parseStationSpec } from '../../../hardware/station-spec.js';
import { startPtyDispenser } from '../../fixtures/pty-dispenser.js';
import { startRig } from '../../fixtures/rig.js';
import { happyPath } from './happy-path.js';

void t.test('one card issued end to end through the serial dispenser on a pseudo-terminal', async (t) => {
  const rig = await startRig(t);
  const sim = rig.stations['kiosk-1']!;
  const pty = await startPtyDispenser({ station: sim });
  // By configuration, as `cardline kiosk --station serial:PATH` opens it.
  const dispenser = await openStation(parseStationSpec(`serial:${pty.hostPath}@115200`), { clock: systemClock, logger: silentLogger });
  pty.own(dispenser);
  t.teardown(() => pty.stop());
  t.equal(dispenser.identity.kind, 'dispenser', 'the kiosk sees a dispenser, not the simulator');
  t.equal(dispenser.identity.id, sim.identity.id, "the device reports the station's reader ID");
  const d = rig.center.deps;
  await addReader(
    { db: d.db, audit: d.audit, clock: d.clock },
    { kiosk: 'kiosk-1', id: dispenser.identity.id, kind: 'dispenser', ...dispenser.identity.descriptor, publicKey: sim.identity.publicKey },
  );
  await happyPath(t, rig, 'kiosk-1', dispenser);
  t.ok(pty.sim.executed > 0, 'the simulated dispenser executed the commands');
  await pty.stop();
});

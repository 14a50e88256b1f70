/**
 * The CardStation contract over a real serial line: the serialport driver
 * (hardware/serial/) opens the host end of a socat PTY pair; the simulated
 * dispenser serves a SimStation on the device end.
 */
import { openSerialDispenser } from '../../hardware/serial/open-port.js';
import type { SerialDispenser } from '../../hardware/serial/serial-dispenser.js';
import { startPtyDispenser } from '../fixtures/pty-dispenser.js';
import { KMC } from '../integration/hardware/station-helpers.js';
import { cardStationContract } from './card-station.contract.js';

cardStationContract('SerialDispenser on a PTY', async () => {
  const pty = await startPtyDispenser({ create: { count: 3, stockMasterKey: KMC } });
  const open = async (): Promise<SerialDispenser> => {
    const d = await openSerialDispenser(pty.hostPath, 115200, { ackTimeoutMs: 150, moveTimeoutMs: 3000 });
    pty.own(d);
    return d;
  };
  const first = await open();
  return {
    station: first,
    hopperCount: 3,
    publicKey: pty.station.identity.publicKey,
    reopen: async () => {
      await first.close();
      return open();
    },
    teardown: () => pty.stop(),
  };
});

/** The CardStation contract, in process: SimStation (the simulated dispenser) in a temp directory. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SimStation } from '../../hardware/sim/sim-station.js';
import { KMC } from '../integration/hardware/station-helpers.js';
import { cardStationContract } from './card-station.contract.js';

cardStationContract('SimStation', async () => {
  const root = await mkdtemp(join(tmpdir(), 'cardline-contract-station-'));
  const dir = join(root, 'station');
  const open: SimStation[] = [await SimStation.create({ dir, count: 3, stockMasterKey: KMC })];
  const first = open[0]!;
  return {
    station: first,
    hopperCount: 3,
    publicKey: first.identity.publicKey,
    reopen: async () => {
      await first.close();
      const again = await SimStation.open(dir);
      open.push(again);
      return again;
    },
    teardown: async () => {
      for (const s of open) await s.close();
      await rm(root, { recursive: true, force: true });
    },
  };
});

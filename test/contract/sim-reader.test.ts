/** The CardTransport contract, in process: SimReader with a simulated card (through GatedCard to stall answers). */
import { FakeClock } from '../../common/clock.js';
import { SimCard } from '../../hardware/sim/card/index.js';
import { SimReader } from '../../hardware/sim/sim-reader.js';
import { cardTransportContract } from './card-transport.contract.js';
import { GatedCard } from './gated-card.js';

cardTransportContract('SimReader', async () => {
  const clock = new FakeClock();
  const reader = new SimReader({ clock });
  const card = new GatedCard(await SimCard.open({}));
  reader.insert(card);
  return {
    transport: reader,
    clock,
    insert: () => Promise.resolve(reader.insert(card)),
    remove: () => Promise.resolve(void reader.remove()),
    stallNext: () => card.stallNext(),
    teardown: () => reader.close(),
  };
});

/**
 * The CardTransport contract over the vpcd protocol on loopback TCP: our
 * VpcdReaderTransport (reader side, random port) with a VpcdCardClient
 * (card side) serving a simulated card. Insert = the card connects, remove =
 * it disconnects.
 */
import { FakeClock } from '../../common/clock.js';
import { SimCard } from '../../hardware/sim/card/index.js';
import { VpcdCardClient } from '../../hardware/sim/vpcd/vpcd-card.js';
import { VpcdReaderTransport } from '../../hardware/sim/vpcd/vpcd-reader.js';
import { cardTransportContract } from './card-transport.contract.js';
import { GatedCard } from './gated-card.js';

function once(reader: VpcdReaderTransport, event: 'inserted' | 'removed'): Promise<void> {
  return new Promise((resolve) => {
    const off = reader.on(event, () => {
      off();
      resolve();
    });
  });
}

cardTransportContract('VpcdReaderTransport', async () => {
  const clock = new FakeClock();
  const reader = await VpcdReaderTransport.listen({ port: 0, clock });
  const card = new GatedCard(await SimCard.open({}));
  let client: VpcdCardClient | undefined;
  let stopping: Promise<void> = Promise.resolve();
  const insert = async (): Promise<void> => {
    await stopping;
    const inserted = once(reader, 'inserted');
    client = new VpcdCardClient({ host: '127.0.0.1', port: reader.port, card, backoff: { initialMs: 10, maxMs: 100 } });
    client.start();
    await inserted;
  };
  await insert();
  return {
    transport: reader,
    clock,
    insert,
    remove: async () => {
      const removed = reader.cardPresent ? once(reader, 'removed') : Promise.resolve();
      // Not awaited here: stop() settles only once a held answer is let go.
      stopping = client?.stop() ?? Promise.resolve();
      client = undefined;
      await removed;
    },
    stallNext: () => card.stallNext(),
    teardown: async () => {
      card.powerOff(); // lets any held answer go
      await stopping;
      await client?.stop();
      await reader.close();
    },
  };
});

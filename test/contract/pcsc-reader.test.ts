/**
 * The CardTransport contract through real pcscd: our PcscTransport
 * (@pokusew/pcsclite) on a private pcscd's vpcd reader (test/fixtures/pcscd.ts),
 * with the simulated card plugged into vpcd from this process (a
 * VpcdCardClient around a GatedCard, so answers can be held). Insert = the
 * card connects to vpcd, remove = it disconnects; pcscd reports both in
 * the reader status, as it would a real card.
 *
 * PCSCLITE_CSOCK_NAME is set (useSocket) before the binding makes its
 * first context: this file runs in its own process.
 */
import t from 'tap';
import { FakeClock } from '../../common/clock.js';
import { SimCard } from '../../hardware/sim/card/index.js';
import { VpcdCardClient } from '../../hardware/sim/vpcd/vpcd-card.js';
import { PcscReaders } from '../../hardware/pcsc/pcsc-readers.js';
import type { PcscTransport } from '../../hardware/pcsc/pcsc-transport.js';
import { startPcscd, useSocket } from '../fixtures/pcscd.js';
import { cardTransportContract } from './card-transport.contract.js';
import { GatedCard } from './gated-card.js';

const READER = 'Virtual PCD 00 00';

const rig = await startPcscd();
useSocket(rig);
const readers = await PcscReaders.open({ timeoutMs: 5000 });
t.teardown(async () => {
  await readers.close();
  await rig.stop();
});

function once(reader: PcscTransport, event: 'inserted' | 'removed'): Promise<void> {
  return new Promise((resolve) => {
    const off = reader.on(event, () => {
      off();
      resolve();
    });
  });
}

cardTransportContract('PcscTransport', async () => {
  const clock = new FakeClock();
  const transport = readers.openTransport(READER, { clock });
  const card = new GatedCard(await SimCard.open({}));
  let client: VpcdCardClient | undefined;
  let stopping: Promise<void> = Promise.resolve();
  const insert = async (): Promise<void> => {
    await stopping;
    const inserted = once(transport, 'inserted');
    client = new VpcdCardClient({ host: '127.0.0.1', port: rig.readers[0]!.port, card, backoff: { initialMs: 10, maxMs: 100 } });
    client.start();
    await inserted;
  };
  const remove = async (): Promise<void> => {
    const removed = transport.cardPresent ? once(transport, 'removed') : Promise.resolve();
    // Not awaited here: stop() settles only once a held answer is let go.
    stopping = client?.stop() ?? Promise.resolve();
    client = undefined;
    await removed;
  };
  await insert();
  return {
    transport,
    clock,
    insert,
    remove,
    stallNext: () => card.stallNext(),
    teardown: async () => {
      card.powerOff(); // lets any held answer go
      const gone = readers.info(READER)?.cardPresent ? waitGone() : Promise.resolve();
      await transport.close();
      await stopping;
      await client?.stop();
      await gone;
    },
  };
});

/** Resolves once pcscd reports the slot empty (the next rig starts from a clean reader). */
async function waitGone(): Promise<void> {
  const deadline = Date.now() + 5000;
  while (readers.info(READER)?.cardPresent && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
}

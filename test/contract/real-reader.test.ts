/**
 * The CardTransport contract against a real PC/SC reader, named by
 * CARDLINE_TEST_READER (e.g. "ACS ACR39U ICC Reader 00 00"), with a
 * GlobalPlatform card in it, through the system pcscd (or the one
 * PCSCLITE_CSOCK_NAME points at). Skipped unless that variable is set.
 * Nobody is there to pull the card: the removal and stall tests skip.
 */
import t from 'tap';
import { PcscReaders } from '../../hardware/pcsc/pcsc-readers.js';
import { cardTransportContract } from './card-transport.contract.js';

const reader = process.env.CARDLINE_TEST_READER;

if (!reader) {
  t.pass('skipped: set CARDLINE_TEST_READER to a PC/SC reader name to run the CardTransport contract on real hardware', {
    skip: true,
  });
} else {
  const readers = await PcscReaders.open({ timeoutMs: 5000 });
  await readers.settled(3000);
  t.teardown(() => readers.close());
  cardTransportContract(`PcscTransport on ${reader}`, () => {
    const transport = readers.openTransport(reader);
    return Promise.resolve({ transport, teardown: () => transport.close() });
  });
}

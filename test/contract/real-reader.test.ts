/**
 * The CardTransport contract against a real PC/SC reader, named by
 * CARDLINE_TEST_READER (e.g. "ACS ACR39U ICC Reader 00 00"), with a
 * GlobalPlatform card in it. Skipped unless that variable is set.
 */
import t from 'tap';

const reader = process.env.CARDLINE_TEST_READER;

if (!reader) {
  t.pass('skipped: set CARDLINE_TEST_READER to a PC/SC reader name to run the CardTransport contract on real hardware', {
    skip: true,
  });
} else {
  // The PC/SC host transport (hardware/pcsc/) does not exist yet: there is nothing to run the contract on.
  t.pass(`skipped: CARDLINE_TEST_READER=${reader}, but Cardline has no PC/SC host transport yet (hardware/pcsc/)`, {
    skip: true,
  });
}

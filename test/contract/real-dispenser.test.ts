/**
 * The CardStation contract against a real card station named by
 * CARDLINE_TEST_DISPENSER, a station spec (hardware/station-spec.ts), e.g.
 * "serial:/dev/ttyUSB0@115200", with blank cards in its hopper. Each test
 * that feeds a card captures it to the reject bin. Skipped unless set.
 */
import t from 'tap';
import { systemClock } from '../../common/clock.js';
import { silentLogger } from '../../common/log.js';
import { openStation } from '../../hardware/open-station.js';
import { parseStationSpec } from '../../hardware/station-spec.js';
import { cardStationContract } from './card-station.contract.js';

const spec = process.env.CARDLINE_TEST_DISPENSER;

if (!spec) {
  t.pass('skipped: set CARDLINE_TEST_DISPENSER to a station spec (e.g. serial:/dev/ttyUSB0) to run the CardStation contract on a real dispenser', { skip: true });
} else {
  const parsed = parseStationSpec(spec);
  cardStationContract(`real station ${spec}`, async () => {
    const station = await openStation(parsed, { clock: systemClock, logger: silentLogger });
    return {
      station,
      teardown: async () => {
        if (await station.cardAtStation().catch(() => false)) await station.capture().catch(() => undefined);
        await station.close();
      },
    };
  });
}

/**
 * Issue 5 point 6: the issuance test over PC/SC. The kiosk agent opens its
 * station by configuration (`pcsc:Virtual PCD 00 00`, hardware/station-spec.ts)
 * through the real PC/SC driver (hardware/pcsc/, @pokusew/pcsclite) and a
 * private pcscd with a vpcd virtual reader; the customer's card is our
 * simulated card as a separate process (`cardline sim card --vpcd`), made
 * from the center's card stock. Once as a T=1 card and once as a T=0 card
 * (every response with data fetched by GET RESPONSE through the driver).
 * The reader is a plain one without a key: the registry approves it by
 * identity match. The card, read back after it left the reader, holds
 * exactly the application.
 */
import t from 'tap';
import { copyFile } from 'node:fs/promises';
import { join } from 'node:path';
import { addReader } from '../../../center/registry.js';
import { readBackCard } from '../../../cli/demo/read-back.js';
import { openStation } from '../../../hardware/open-station.js';
import { parseStationSpec } from '../../../hardware/station-spec.js';
import { silentLogger } from '../../../common/log.js';
import { systemClock } from '../../../common/clock.js';
import { startPcscd, startSimCardProcess, stopProcess, useSocket } from '../../fixtures/pcscd.js';
import { startRig } from '../../fixtures/rig.js';

const READER = 'Virtual PCD 00 00';

const pcscd = await startPcscd();
useSocket(pcscd);
t.teardown(() => pcscd.stop());

for (const protocol of ['t1', 't0'] as const) {
  void t.test(`one card issued end to end through PC/SC + vpcd, the card speaking ${protocol.toUpperCase()}`, async (t) => {
    const rig = await startRig(t, { cardsPerStation: 1 });
    const stock = rig.stations['kiosk-1']!;
    const [serial] = await stock.cards('hopper');
    // The customer's card: one of the center's stock cards, out of the dispenser and into a plain reader.
    const image = join(rig.dir, `customer-${serial!}.eeprom`);
    await copyFile(stock.imagePath('hopper', serial!), image);

    const station = await openStation(parseStationSpec(`pcsc:${READER}`), { clock: systemClock, logger: silentLogger });
    t.teardown(() => station.close());
    t.same({ id: station.identity.id, kind: station.identity.kind, canSign: station.identity.canSign }, { id: 'pcsc-Virtual-PCD-00-00', kind: 'pcsc', canSign: false });
    const d = rig.center.deps;
    await addReader({ db: d.db, audit: d.audit, clock: d.clock }, { kiosk: 'kiosk-1', id: station.identity.id, kind: 'pcsc', ...station.identity.descriptor, publicKey: null });

    const kiosk = await rig.startKiosk('kiosk-1', { station });
    t.match(kiosk.events.find((e) => e.type === 'reader-authenticated'), { reader: 'pcsc-Virtual-PCD-00-00' }, 'the plain reader is authenticated by identity match');
    const [app] = await rig.addApps(1);
    const card = await startSimCardProcess(pcscd.readers[0]!.port, { protocol, state: image });
    t.teardown(() => stopProcess(card.proc));

    const r = await kiosk.request(app!.id, app!.code);
    t.match(r, { outcome: 'issued' }, 'the customer is told the card is issued', { outcome: r, kioskLog: r.outcome === 'issued' ? [] : rig.logs.kiosk('kiosk-1').lines.filter((l) => !l.includes('"level":"debug"')).slice(-40) });
    t.equal((await rig.jobOf(app!.id))?.state, 'ISSUED', 'the job is ISSUED at the center');
    t.equal(station.transport.cardPresent, true, 'the card stays in the plain reader for the customer to take');
    await stopProcess(card.proc);

    const problems = await readBackCard(image, app!, () => undefined);
    t.same(problems, [], 'the card holds exactly the application data');
    await rig.waitForAudit((e) => e.kind === 'card.ejected' && e.job === r.job, 'the kiosk reporting the card released');
    const logs = rig.logs.all().join('');
    t.notOk(logs.includes(app!.code), 'the one-time code is in no log line');
  });
}

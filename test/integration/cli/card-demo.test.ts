/**
 * The card demo's host flow against simulated cards from a real hopper on
 * disk: the happy path, a counterfeit card (keys from another master key)
 * refused with nothing written, and a response tampered on the way back
 * caught by the R-MAC. Also the `cardline card demo` command end to end.
 */
import t from 'tap';
import { randomBytes } from 'node:crypto';
import { systemClock } from '../../../common/clock.js';
import { memoryLogger } from '../../../common/log.js';
import { runDemoFlow } from '../../../cli/card-demo/flow.js';
import { COMMANDS } from '../../../cli/commands/index.js';
import { runCli } from '../../../cli/run.js';
import type { CardTransport } from '../../../hardware/card-transport.js';
import { Hopper } from '../../../hardware/sim/hopper.js';
import { SimReader } from '../../../hardware/sim/sim-reader.js';
import type { SimCard } from '../../../hardware/sim/card/index.js';

const random = (n: number): Uint8Array => new Uint8Array(randomBytes(n));

async function cardFromHopper(dir: string, kmc: Uint8Array): Promise<{ card: SimCard; reader: SimReader }> {
  const hopper = await Hopper.create({ dir, count: 1, stockMasterKey: kmc.slice() });
  const card = (await hopper.take())!;
  const reader = new SimReader();
  reader.insert(card);
  return { card, reader };
}

function appState(card: SimCard): string | undefined {
  return card.inspect().apps[0]?.lifeCycleName;
}

void t.test('a blank card is personalized at every security level and reads back', async (t) => {
  for (const level of [0x03, 0x13, 0x33]) {
    const kmc = random(16);
    const { card, reader } = await cardFromHopper(t.testdir(), kmc);
    const lines: string[] = [];
    const result = await runDemoFlow({ transport: reader, stockMasterKey: kmc, securityLevel: level, random, report: (l) => lines.push(l) });
    t.same(result.failures, [], `level ${level.toString(16)}: no failures`);
    t.ok(result.ok);
    t.equal(appState(card), 'PERSONALIZED');
    t.ok(lines.some((l) => /read-back secret DGI 8000: 6982/.test(l)), 'the secret key DGI is refused');
    t.ok(lines.some((l) => /key check values of DGI 8000: 9000 [0-9A-F]{18} match/.test(l)), 'its KCVs match');
    await reader.close();
  }
});

void t.test('a counterfeit card (other master key) is refused and nothing is written', async (t) => {
  const { card, reader } = await cardFromHopper(t.testdir(), random(16));
  const before = appState(card);
  await t.rejects(
    runDemoFlow({ transport: reader, stockMasterKey: random(16), securityLevel: 0x33, random, report: () => undefined }),
    // The card's pseudo-random challenge (i=70) is checked first: it is derived from Key-ENC too.
    { name: 'CardError', code: 'CARD_CHALLENGE' },
  );
  t.equal(appState(card), before, 'the application is untouched');
  t.not(before, 'PERSONALIZED');
  await reader.close();
});

void t.test('a tampered response is caught by the R-MAC', async (t) => {
  const kmc = random(16);
  const { reader } = await cardFromHopper(t.testdir(), kmc);
  let sent = 0;
  // A man in the middle flips one data byte of the first secured response that has data.
  const tampering: CardTransport = {
    readerName: reader.readerName,
    get cardPresent() {
      return reader.cardPresent;
    },
    powerOn: () => reader.powerOn(),
    powerOff: () => reader.powerOff(),
    on: (event, listener) => reader.on(event, listener),
    close: () => reader.close(),
    transmit: async (apdu) => {
      const r = await reader.transmit(apdu);
      sent++;
      // APDU 5 is EXTERNAL AUTHENTICATE; 6 is INSTALL, whose response data (00, GPC §11.5.3)
      // comes at level 33 as one R-ENC block ‖ R-MAC ‖ 9000.
      if (sent === 6) {
        t.equal(r.length, 16 + 8 + 2, 'the INSTALL response is R-ENC data, an R-MAC and a status word');
        r[0]! ^= 0x01;
      }
      return r;
    },
  };
  await t.rejects(
    runDemoFlow({ transport: tampering, stockMasterKey: kmc, securityLevel: 0x33, random, report: () => undefined }),
    { name: 'CardError', code: 'RMAC_INVALID' },
  );
  await reader.close();
});

void t.test('cardline card demo runs end to end and exits 0; bad --level exits 2', async (t) => {
  const out: string[] = [];
  const err: string[] = [];
  const logger = memoryLogger();
  const ctx = { out: (s: string) => out.push(s), err: (s: string) => err.push(s), logger, clock: systemClock, env: {}, signal: new AbortController().signal };
  const code = await runCli(['card', 'demo', '--hopper', t.testdir()], COMMANDS, ctx);
  t.equal(code, 0, err.join(''));
  const text = out.join('');
  t.match(text, /^OK: card [0-9A-F]{16} personalized at security level 33 and verified by read-back/m);
  t.match(text, /GET STATUS: application F0434152444C494E4501 life cycle 0F \(PERSONALIZED\)/);
  t.notMatch(text, /SATO|HANAKO/, 'no personal data printed');
  t.ok(logger.lines.length > 0, 'the demo logged at debug level');
  const logs = logger.lines.join('');
  t.notMatch(logs, /SATO|HANAKO|5341544F/i, 'no personal data in the logs, as text or hex');
  t.equal(await runCli(['card', 'demo', '--level', '02'], COMMANDS, ctx), 2);
  t.match(err.join(''), /--level must be one of 01, 03, 11, 13, 33/);
});

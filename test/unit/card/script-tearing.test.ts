/**
 * A power cut at every APDU of a write script, in both tearing phases. The
 * write's verdict is always 'failed' at the cut APDU; an inspect script
 * then finds the card either still SELECTABLE (and a fresh write issues it)
 * or PERSONALIZED with the job's data, exactly when the last STORE DATA
 * block committed. Never a mix, never a card issued twice.
 */
import t from 'tap';
import { toHex } from '../../../card/bytes.js';
import type { PowerCutPhase } from '../../../hardware/sim/card/index.js';
import { factoryCard, jobDgis, PROFILE, relay, tempDir } from './script-kiosk.js';

void t.test('power cut at every APDU of the write script', async (t) => {
  const { dir, cleanup } = tempDir();
  t.teardown(cleanup);
  const dgis = jobDgis(3);

  // A clean run first, to learn the script's length and where the last STORE DATA is.
  const ref = await factoryCard(dir, 'CA4D0000000000FF');
  const clean = await relay(ref.reader, 'write', dgis);
  t.same(clean.verdict, { outcome: 'issued' });
  const n = clean.script.apdus.length;
  const lastStore = clean.script.plan.map((s) => s.role).lastIndexOf('store-data');
  t.ok(lastStore > 1 && lastStore < n - 1, `${n} APDUs, last STORE DATA at ${lastStore}`);

  let serial = 0;
  const seen = { issued: 0, rewritten: 0 };
  for (let k = 1; k <= n; k++) {
    for (const phase of ['before-commit', 'after-commit'] as PowerCutPhase[]) {
      const name = `cut at APDU ${k - 1} ${phase}`;
      const { card, reader } = await factoryCard(dir, `CA4D0000${(++serial).toString(16).padStart(8, '0')}`);
      // Armed once the script starts: the cut falls on script APDU k (1-based).
      const write = await relay(reader, 'write', dgis, { beforeRun: () => card.setPowerCut({ afterApdus: k, phase }) });
      t.same(write.verdict, { outcome: 'failed', at: k - 1, detail: write.verdict.outcome === 'failed' ? write.verdict.detail : '' }, `${name}: write failed at the cut`);
      t.match(write.verdict, { detail: /no response \(CARD_REMOVED\)/ });
      t.same(write.run.error, { index: k - 1, code: 'CARD_REMOVED' });

      await reader.powerOn();
      const inspect = await relay(reader, 'inspect', dgis);
      const committed = k - 1 > lastStore || (k - 1 === lastStore && phase === 'after-commit');
      const app = card.inspect().apps.find((a) => a.aid === toHex(PROFILE.appAid))!;
      if (committed) {
        t.same(inspect.verdict, { outcome: 'issued' }, `${name}: the last block had committed`);
        t.equal(app.lifeCycleName, 'PERSONALIZED');
        seen.issued++;
      } else {
        t.match(inspect.verdict, { outcome: 'not-personalized' }, `${name}: still SELECTABLE`);
        t.equal(app.lifeCycleName, 'SELECTABLE');
        t.same((await relay(reader, 'write', dgis)).verdict, { outcome: 'issued' }, `${name}: a fresh write issues it`);
        seen.rewritten++;
      }
      t.same((await relay(reader, 'inspect', dgis)).verdict, { outcome: 'issued' }, `${name}: issued in the end`);
    }
  }
  t.equal(seen.issued + seen.rewritten, 2 * n);
  t.equal(seen.issued, 2 * (n - 1 - lastStore) + 1, 'issued by the cut run exactly when the last block committed');
});

/**
 * A decommissioned kiosk exits 4 (docs/provisioning.md §4 and §7: 3 means
 * "retry later"; the unit has RestartPreventExitStatus=4). The comments
 * that tell the next reader what `cardline kiosk` does then must say 4:
 * a reader who believes 3 would "fix" the unit or the CLI the wrong way.
 */
import t from 'tap';
import { readFile } from 'node:fs/promises';

void t.test('the decommission comments name exit code 4', async (t) => {
  for (const file of ['kiosk/agent.ts', 'kiosk/renewal/decommission.ts']) {
    const text = await readFile(new URL(`../../../${file}`, import.meta.url), 'utf8');
    t.notMatch(text, /cardline kiosk`? exits(?: with code)? 3/, `${file}: no exit 3 for a decommission`);
    t.match(text, /cardline kiosk`? exits(?: with code)? 4/, `${file}: exit 4 named`);
  }
});

/** Transaction: a command's writes go to a deep copy, and a dropped copy takes its secrets with it. */
import t from 'tap';
import { toHex } from '../../../card/bytes.js';
import { factoryState } from '../../../hardware/sim/card/profile.js';
import { Transaction } from '../../../hardware/sim/card/transaction.js';
import { counterRandom, KEYS } from './helpers.js';

void t.test('writes go to a copy; discard zeroizes the copy, never the committed state', (t) => {
  const committed = factoryState({ keys: KEYS, serial: '01020304' }, counterRandom());
  committed.apps[0]!.secrets.set(0x8000, Uint8Array.of(1, 2, 3));
  const tx = new Transaction(committed);
  t.equal(tx.view, committed, 'reads see the committed state until the first write');
  const draft = tx.write();
  t.not(draft, committed);
  draft.isd.sequenceCounter = 7;
  t.equal(tx.view.isd.sequenceCounter, 7, 'the command sees its own writes');
  t.equal(committed.isd.sequenceCounter, 0, 'the committed state is untouched');
  const draftKey = draft.isd.keySets[0]!.enc;
  const draftSecret = draft.apps[0]!.secrets.get(0x8000)!;
  tx.discard();
  t.equal(tx.changed, undefined, 'nothing to commit');
  t.ok(draftKey.every((b) => b === 0), 'the draft key set is overwritten');
  t.ok(draftSecret.every((b) => b === 0), 'and its secret DGIs');
  t.equal(toHex(committed.isd.keySets[0]!.enc), toHex(KEYS.enc), 'the committed keys are intact');
  t.equal(toHex(committed.apps[0]!.secrets.get(0x8000)!), '010203');
  t.end();
});

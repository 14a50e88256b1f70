/**
 * Tearing: cut the power at every APDU of a personalization, in both
 * phases, reopen the card from its image, and find exactly the state before
 * that command (before-commit) or after it (after-commit), never a mix.
 */
import t from 'tap';
import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { isSimPowerCutError, SimCard, type PowerCutPhase } from '../../../hardware/sim/card/index.js';
import { counterRandom, Host, KEYS, personalize, readImage, SERIAL, swHex, tempDir, type ApduSink } from './helpers.js';

const PROFILE = { serial: SERIAL, keys: KEYS };

async function open(path: string): Promise<SimCard> {
  const card = await SimCard.open({ statePath: path, random: counterRandom(), profile: PROFILE });
  await card.powerOn();
  return card;
}

interface Reference {
  readonly apdus: Uint8Array[];
  /** images[k] = the image after k APDUs. */
  readonly images: string[];
  readonly responses: Uint8Array[];
}

/** Runs SELECT, INITIALIZE UPDATE, EXTERNAL AUTHENTICATE, INSTALL and the STORE DATA blocks, recording everything. */
async function reference(factory: string, path: string, level: number): Promise<Reference> {
  copyFileSync(factory, path);
  const card = await open(path);
  const ref: Reference = { apdus: [], images: [readImage(path)], responses: [] };
  const sink: ApduSink = {
    transmit: async (apdu) => {
      ref.apdus.push(apdu.slice());
      const r = await card.transmit(apdu);
      ref.responses.push(r);
      ref.images.push(readImage(path));
      return r;
    },
  };
  const host = new Host(sink);
  await host.authenticate(level);
  await personalize(host, level);
  return ref;
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** Replays the reference APDUs on a fresh copy until the power fails; returns the index it failed at (1-based). */
async function replayUntilCut(card: SimCard, ref: Reference): Promise<{ at: number; committed: boolean }> {
  for (let i = 0; i < ref.apdus.length; i++) {
    try {
      const r = await card.transmit(ref.apdus[i]!);
      if (!equalBytes(r, ref.responses[i]!)) throw new Error(`replay diverged at APDU ${i + 1}`);
    } catch (e) {
      if (isSimPowerCutError(e)) return { at: i + 1, committed: e.committed };
      throw e;
    }
  }
  return { at: 0, committed: false };
}

for (const level of [0x03, 0x33]) {
  void t.test(`power cut at every APDU of a personalization at SL ${level.toString(16).padStart(2, '0')}`, async (t) => {
    const { dir, cleanup } = tempDir();
    t.teardown(cleanup);
    const factory = join(dir, 'factory.json');
    const path = join(dir, 'card.json');
    await SimCard.open({ statePath: factory, random: counterRandom(), profile: PROFILE });
    const ref = await reference(factory, path, level);
    const n = ref.apdus.length;
    t.ok(n >= 6, `${n} APDUs in the personalization`);
    const distinct = new Set(ref.images).size;
    t.ok(distinct >= 4, 'several commands write (counter, DGIs, life cycle)');

    for (let k = 1; k <= n; k++) {
      for (const phase of ['before-commit', 'after-commit'] as PowerCutPhase[]) {
        copyFileSync(factory, path);
        const card = await open(path);
        card.setPowerCut({ afterApdus: k, phase });
        const cut = await replayUntilCut(card, ref);
        t.equal(cut.at, k, `cut fires at APDU ${k}`);
        t.equal(card.powered, false, 'the card is unpowered');
        const expected = phase === 'before-commit' ? ref.images[k - 1]! : ref.images[k]!;
        t.equal(readImage(path), expected, `APDU ${k} ${phase}: the image is the state ${phase === 'before-commit' ? 'before' : 'after'} it`);
        const reopened = await SimCard.open({ statePath: path });
        t.same(reopened.inspect().apps, card.inspect().apps, 'the reopened card is the card that lost power');
        const personalized = reopened.inspect().apps[0]!.lifeCycleName === 'PERSONALIZED';
        t.equal(personalized, k === n && phase === 'after-commit', 'PERSONALIZED only once the last block committed');
      }
    }
  });
}

void t.test('power cut by byte count: inside an APDU nothing runs; on its last byte the phase applies', async (t) => {
  const { dir, cleanup } = tempDir();
  t.teardown(cleanup);
  const factory = join(dir, 'factory.json');
  const path = join(dir, 'card.json');
  await SimCard.open({ statePath: factory, random: counterRandom(), profile: PROFILE });
  const ref = await reference(factory, path, 0x03);
  let offset = 0;
  for (let k = 1; k <= ref.apdus.length; k++) {
    const len = ref.apdus[k - 1]!.length;
    for (const [byte, phase] of [
      [offset + 1, 'after-commit'],
      [offset + Math.ceil(len / 2), 'after-commit'],
      [offset + len - 1, 'after-commit'],
      [offset + len, 'before-commit'],
      [offset + len, 'after-commit'],
    ] as [number, PowerCutPhase][]) {
      copyFileSync(factory, path);
      const card = await open(path);
      card.setPowerCut({ afterBytes: byte, phase });
      const cut = await replayUntilCut(card, ref);
      t.equal(cut.at, k, `byte ${byte} falls in APDU ${k}`);
      const complete = byte === offset + len;
      const expected = complete && phase === 'after-commit' ? ref.images[k]! : ref.images[k - 1]!;
      t.equal(readImage(path), expected, `byte ${byte} (${complete ? 'last byte' : 'mid-APDU'}, ${phase})`);
      t.equal(cut.committed, complete && phase === 'after-commit');
    }
    offset += len;
  }
});

void t.test('after a cut the card powers on again and can be personalized from the start', async (t) => {
  const { dir, cleanup } = tempDir();
  t.teardown(cleanup);
  const path = join(dir, 'card.json');
  const card = await open(path);
  const host = new Host(card);
  await host.authenticate(0x03);
  card.setPowerCut({ afterApdus: 3, phase: 'after-commit' });
  await t.rejects(personalize(host, 0x03), { name: 'SimPowerCutError', code: 'POWER_CUT' });
  await t.rejects(card.transmit(Uint8Array.of(0x00, 0xa4, 0x04, 0x00, 0x00)), { code: 'NOT_POWERED' });
  t.equal(card.inspect().apps[0]!.lifeCycleName, 'SELECTABLE');
  t.ok(card.inspect().apps[0]!.dgiTags.length > 0, 'the committed blocks are kept');
  await card.powerOn();
  const again = new Host(card);
  t.equal(swHex(await again.authenticate(0x03)), '9000');
  t.same(new Set(await personalize(again, 0x03)), new Set([0x9000]));
  t.equal(card.inspect().apps[0]!.lifeCycleName, 'PERSONALIZED');
});

void t.test('a memory-only card tears the same way', async (t) => {
  const card = await SimCard.open({ random: counterRandom(), profile: PROFILE });
  await card.powerOn();
  const host = new Host(card);
  await host.authenticate(0x03);
  // APDU 1 is INSTALL, APDU 2 the first STORE DATA block: cut before its commit.
  card.setPowerCut({ afterApdus: 2 });
  await t.rejects(personalize(host, 0x03), { name: 'SimPowerCutError', committed: false });
  t.same(card.inspect().apps[0]!.dgiTags, [], 'the first block is lost');
  t.equal(card.inspect().apps[0]!.lifeCycleName, 'SELECTABLE');
  await card.powerOn();
  const again = new Host(card);
  await again.authenticate(0x03);
  card.setPowerCut({ afterApdus: 2, phase: 'after-commit' });
  await t.rejects(personalize(again, 0x03), { name: 'SimPowerCutError', committed: true });
  t.ok(card.inspect().apps[0]!.dgiTags.length > 0, 'the first block is kept');
});

void t.test('setPowerCut validates its plan and disarms', async (t) => {
  const card = await SimCard.open({ random: counterRandom(), profile: PROFILE });
  await card.powerOn();
  t.throws(() => card.setPowerCut({}), { code: 'ARGUMENT_INVALID' });
  t.throws(() => card.setPowerCut({ afterApdus: 0 }), { code: 'ARGUMENT_INVALID' });
  t.throws(() => card.setPowerCut({ afterBytes: 1.5 }), { code: 'ARGUMENT_INVALID' });
  // Both counts: the byte cut inside APDU 1 comes before the end of APDU 1.
  card.setPowerCut({ afterApdus: 1, afterBytes: 2, phase: 'after-commit' });
  await t.rejects(card.transmit(Uint8Array.of(0x80, 0x50, 0x00, 0x00, 0x08, 1, 2, 3, 4, 5, 6, 7, 8, 0x00)), { committed: false, message: /byte 2/ });
  t.equal(card.inspect().isd.sequenceCounter, 0, 'INITIALIZE UPDATE never ran');
  await card.powerOn();
  card.setPowerCut({ afterApdus: 1 });
  card.setPowerCut();
  t.equal(swHex(await new Host(card).plain('00A4040000')), '9000', 'disarmed');
});

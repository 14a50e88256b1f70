import t from 'tap';
import type { CommandApdu } from '../../../card/apdu.js';
import { hex, toHex } from '../../../card/bytes.js';
import { DgiStreamParser, type Dgi } from '../../../card/dgi.js';
import { decryptSecretDgi } from '../../../card/gp/dek.js';
import { INS } from '../../../card/gp/constants.js';
import { parseInstallForPersonalization } from '../../../card/gp/install.js';
import { buildPersonalizationScript } from '../../../card/gp/perso-script.js';
import { maxPlaintextPerBlock, StoreDataSequence } from '../../../card/gp/store-data.js';

const DEK = hex('202122232425262728292A2B2C2D2E2F');
const APP = hex('A0000000041010');
const KEYS = '000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F202122232425262728292A2B2C2D2E2F';

function filled(n: number, seed: number): Uint8Array {
  return Uint8Array.from({ length: n }, (_, i) => (i * 7 + seed) & 0xff);
}

function sampleDgis(): Dgi[] {
  return [
    { tag: 0x0101, value: filled(100, 1) }, // record SFI 1 rec 1
    { tag: 0x9102, value: filled(20, 2) }, // SELECT response data
    { tag: 0x8000, value: hex(KEYS) }, // application keys (secret)
    { tag: 0x8010, value: hex('241234FFFFFFFFFF') }, // PIN block (secret)
    { tag: 0x0202, value: filled(300, 3) }, // a long record
  ];
}

/** What the simulated card will do: check INSTALL, sequence, P1, reassemble and decrypt. */
function cardReceives(commands: readonly CommandApdu[]): { aid: string; dgis: Dgi[]; encryptedTags: number[] } {
  const [install, ...stores] = commands;
  if (install?.ins !== INS.INSTALL) throw new Error('script must start with INSTALL');
  const aid = toHex(parseInstallForPersonalization(install.data));
  const seq = new StoreDataSequence();
  const parser = new DgiStreamParser();
  const dgis: Dgi[] = [];
  const encryptedTags: number[] = [];
  for (const c of stores) {
    const p1 = seq.accept(c.p1, c.p2);
    for (const d of parser.push(c.data)) {
      if (p1.encryption === 'all') {
        encryptedTags.push(d.tag);
        dgis.push(decryptSecretDgi(DEK, d));
      } else dgis.push(d);
    }
    if (p1.last) parser.finish();
  }
  return { aid, dgis, encryptedTags };
}

void t.test('INSTALL, then plain / secret / plain runs in blocks 00..03, last flagged once', (t) => {
  const script = buildPersonalizationScript({ appAid: APP, dgis: sampleDgis(), dek: DEK });
  const c = script.commands;
  t.equal(toHex(new Uint8Array([c[0]!.cla, c[0]!.ins, c[0]!.p1, c[0]!.p2])), '80E62000');
  t.same(
    c.slice(1).map((x) => [x.ins, x.p1, x.p2, x.data.length]),
    [
      [0xe2, 0x00, 0, 103 + 23],
      [0xe2, 0x60, 1, 67 + 19],
      [0xe2, 0x00, 2, 255],
      [0xe2, 0x80, 3, 50],
    ],
  );
  t.same(script.summary, { commands: 5, storeDataBlocks: 4, dgis: 5, secretDgis: 2, storeDataBytes: 126 + 86 + 305 });
  t.end();
});

void t.test('the card side gets back exactly the DGIs, the secret ones only ever encrypted', (t) => {
  const script = buildPersonalizationScript({ appAid: APP, dgis: sampleDgis(), dek: DEK });
  const got = cardReceives(script.commands);
  t.equal(got.aid, toHex(APP));
  t.same(got.dgis, sampleDgis());
  t.same(got.encryptedTags, [0x8000, 0x8010]);
  const wire = script.commands.map((x) => toHex(x.data)).join('');
  t.notOk(wire.includes(KEYS.slice(0, 32)), 'no plaintext key on the wire');
  t.notOk(wire.includes('241234FFFFFFFFFF'), 'no plaintext PIN block on the wire');
  t.end();
});

void t.test('the summary carries counts only', (t) => {
  const { summary } = buildPersonalizationScript({ appAid: APP, dgis: sampleDgis(), dek: DEK });
  for (const v of Object.values(summary)) t.equal(typeof v, 'number');
  t.end();
});

void t.test('options: GP P1 convention, secure-messaging room, custom secret tags and padding', (t) => {
  const gp = buildPersonalizationScript({ appAid: APP, dgis: sampleDgis(), dek: DEK, p1Convention: 'gp' });
  t.same(gp.commands.slice(1).map((x) => x.p1), [0x08, 0x68, 0x08, 0x88]);
  t.same(cardReceives(gp.commands).dgis, sampleDgis());

  const room = maxPlaintextPerBlock(0x03);
  const sm = buildPersonalizationScript({ appAid: APP, dgis: sampleDgis(), dek: DEK, maxBlock: room });
  t.ok(sm.commands.every((x) => x.data.length <= room));
  t.same(cardReceives(sm.commands).dgis, sampleDgis());

  const custom = buildPersonalizationScript({ appAid: APP, dgis: sampleDgis(), dek: DEK, secretTags: (tag) => tag === 0x0202 || (tag >= 0x8000 && tag <= 0x8fff) });
  t.same(cardReceives(custom.commands).encryptedTags, [0x8000, 0x8010, 0x0202]);
  t.same(custom.commands.slice(1).map((x) => x.p1), [0x00, 0x60, 0xe0], 'one secret run of 395 bytes in 2 blocks');

  const unpadded = buildPersonalizationScript({ appAid: APP, dgis: [{ tag: 0x8000, value: hex(KEYS) }], dek: DEK, padding: () => 'none' });
  t.equal(unpadded.commands[1]!.data.length, 3 + 48, 'aligned keys sent without padding');
  t.end();
});

void t.test('refusals: no DGIs, too many blocks, a bad AID or DEK', (t) => {
  t.throws(() => buildPersonalizationScript({ appAid: APP, dgis: [], dek: DEK }), { code: 'ARGUMENT_INVALID' });
  const huge = [0x0101, 0x0102].map((tag) => ({ tag, value: new Uint8Array(65535) }));
  t.throws(() => buildPersonalizationScript({ appAid: APP, dgis: huge, dek: DEK }), { code: 'ARGUMENT_INVALID' });
  t.throws(() => buildPersonalizationScript({ appAid: hex('A000'), dgis: sampleDgis(), dek: DEK }), { code: 'ARGUMENT_INVALID' });
  t.throws(() => buildPersonalizationScript({ appAid: APP, dgis: sampleDgis(), dek: hex('00') }), { code: 'KEY_INVALID' });
  t.end();
});

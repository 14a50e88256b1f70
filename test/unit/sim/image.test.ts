import t from 'tap';
import { statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { selectByAid } from '../../../card/gp/index.js';
import { initializeUpdateCommand, parseInitializeUpdateResponse } from '../../../card/scp03/index.js';
import { IMAGE_FORMAT, SimCard } from '../../../hardware/sim/card/index.js';
import { decodeImage, FileImageStore, MAX_IMAGE_BYTES } from '../../../hardware/sim/card/image-store.js';
import { APP_AID, counterRandom, getDataCmd, hex, Host, KEYS, newCard, personalize, readImage, SAMPLE_DGIS, send, swHex, tempDir, toHex } from './helpers.js';

function setup(t: { teardown: (fn: () => void) => void }): string {
  const { dir, cleanup } = tempDir();
  t.teardown(cleanup);
  return join(dir, 'card.json');
}

void t.test('a new card writes its factory image: JSON, version, checksum, mode 0600', async (t) => {
  const path = setup(t);
  await newCard({ statePath: path });
  const doc = JSON.parse(readImage(path)) as { format: string; version: number; checksum: string; body: { serial: string; isd: { keySets: { enc: string }[] } } };
  t.equal(doc.format, IMAGE_FORMAT);
  t.equal(doc.version, 1);
  t.match(doc.checksum, /^sha256:[0-9a-f]{64}$/);
  t.equal(Buffer.from(doc.body.serial, 'base64').toString('hex'), '0102030405060708', 'base64 fields');
  t.equal(statSync(path).mode & 0o777, 0o600, 'only the simulator reads it (it holds keys)');
});

void t.test('the image persists across reopen; the profile is ignored once an image exists', async (t) => {
  const path = setup(t);
  const card = await newCard({ statePath: path });
  const host = new Host(card);
  await host.authenticate(0x33);
  await personalize(host, 0x33);
  const before = card.inspect();
  card.powerOff();

  const again = await SimCard.open({ statePath: path, profile: { serial: 'FFFFFFFF', appAid: 'F000000000' } });
  t.same(again.inspect(), { ...before, powered: false }, 'same card');
  t.equal(again.serial, '0102030405060708');
  await again.powerOn();
  t.equal(swHex(await send(again, selectByAid(APP_AID))), '9000');
  t.equal(toHex((await send(again, getDataCmd(0x0201))).data), toHex(SAMPLE_DGIS[3]!.value), 'DGIs survive');
  t.equal(swHex(await send(again, getDataCmd(0x8000))), '6982', 'secret DGIs stay secret');
});

void t.test('the sequence counter persists and increments across power cycles and reopen', async (t) => {
  const path = setup(t);
  const card = await newCard({ statePath: path });
  const counter = async (c: SimCard): Promise<string> => {
    const r = await send(c, initializeUpdateCommand(0, hex('0001020304050607')));
    return toHex(parseInitializeUpdateResponse(r.data).sequenceCounter ?? new Uint8Array());
  };
  t.equal(await counter(card), '000001');
  t.equal(await counter(card), '000002');
  await card.powerOn();
  t.equal(await counter(card), '000003', 'a reset does not rewind it');
  const reopened = await SimCard.open({ statePath: path });
  await reopened.powerOn();
  t.equal(await counter(reopened), '000004', 'nor does reopening the image');
  t.equal(reopened.inspect().isd.sequenceCounter, 4);
});

void t.test('a corrupt or truncated image is a typed error', async (t) => {
  const path = setup(t);
  await newCard({ statePath: path });
  const good = readImage(path);
  const cases: [string, string, string][] = [
    ['truncated', good.slice(0, Math.floor(good.length / 2)), 'IMAGE_CORRUPT'],
    ['empty', '', 'IMAGE_CORRUPT'],
    ['not JSON', 'EEPROM', 'IMAGE_CORRUPT'],
    ['a JSON array', '[]', 'IMAGE_CORRUPT'],
    ['another format', good.replace(IMAGE_FORMAT, 'something-else'), 'IMAGE_VERSION'],
    ['a future version', good.replace('"version": 1', '"version": 2'), 'IMAGE_VERSION'],
    ['a flipped bit in the body', good.replace('"lifeCycle": 1', '"lifeCycle": 15'), 'IMAGE_CHECKSUM'],
  ];
  for (const [what, text, code] of cases) {
    writeFileSync(path, text);
    await t.rejects(SimCard.open({ statePath: path }), { name: 'SimCardError', code }, what);
  }
  // A body with the right checksum but a field of the wrong type.
  const doc = JSON.parse(good) as { body: { lifeCycle: unknown }; checksum: string };
  doc.body.lifeCycle = 'OP_READY';
  const { createHash } = await import('node:crypto');
  doc.checksum = `sha256:${createHash('sha256').update(JSON.stringify(doc.body)).digest('hex')}`;
  writeFileSync(path, JSON.stringify(doc));
  await t.rejects(SimCard.open({ statePath: path }), { code: 'IMAGE_CORRUPT', message: /lifeCycle/ }, 'wrong field type, named');
  writeFileSync(path, good);
  t.ok(await SimCard.open({ statePath: path }), 'the good image still opens');
});

void t.test('an unwritable image path is IMAGE_IO; a memory-only card writes nothing', async (t) => {
  const path = setup(t);
  await t.rejects(SimCard.open({ statePath: join(path, 'no-such-dir', 'card.json'), profile: { keys: KEYS } }), { code: 'IMAGE_IO' });
  const mem = await SimCard.open({ random: counterRandom(), profile: { keys: KEYS, serial: '0A0B0C0D' } });
  t.equal(mem.serial, '0A0B0C0D');
  await mem.powerOn();
  t.equal(swHex(await new Host(mem).authenticate(0x03)), '9000');
});

void t.test('profile validation', async (t) => {
  const bad: [string, object][] = [
    ['ATR with a wrong TCK', { atr: '3BFD1300008131FE458031C073FE210065434C53494D06' }],
    ['ATR not hex', { atr: 'zz' }],
    ['short AID', { appAid: 'F00102' }],
    ['same AIDs', { appAid: 'A000000151000000' }],
    ['serial too long', { serial: '000102030405060708090A' }],
    ['i with S16', { i: 0x71 }],
    ['unknown life cycle', { lifeCycle: 0x03 }],
    ['bad level', { persoSecurityLevel: 0x02 }],
    ['KVN 00', { kvn: 0 }],
    ['short master key', { master: { kmc: new Uint8Array(8) } }],
  ];
  for (const [what, profile] of bad) {
    await t.rejects(SimCard.open({ profile, random: counterRandom() }), { code: 'PROFILE_INVALID' }, what);
  }
  const custom = await SimCard.open({ profile: { atr: '3B021450', serial: '01020304' }, random: counterRandom() });
  t.equal(toHex(await custom.powerOn()), '3B021450', 'a T=0 ATR without TCK');
});

void t.test('an image whose fields are well typed but out of range is IMAGE_CORRUPT; an oversized file is refused unread', async (t) => {
  const path = setup(t);
  await newCard({ statePath: path });
  const good = readImage(path);
  const { createHash } = await import('node:crypto');
  type Body = {
    lifeCycle: number;
    atr: string;
    isd: { i: number; keySets: { enc: string; kvn: number }[] };
    apps: { persoLevel: number }[];
    mf: { children: { records?: string[]; recordLength?: number }[] };
  };
  const edited = (edit: (b: Body) => void): string => {
    const doc = JSON.parse(good) as { body: Body; checksum: string };
    edit(doc.body);
    doc.checksum = `sha256:${createHash('sha256').update(JSON.stringify(doc.body)).digest('hex')}`;
    return JSON.stringify(doc);
  };
  const cases: [string, (b: Body) => void, RegExp][] = [
    ['a 20-byte key', (b) => void (b.isd.keySets[0]!.enc = Buffer.alloc(20).toString('base64')), /keySets\[0\]\.enc/],
    ['KVN 80', (b) => void (b.isd.keySets[0]!.kvn = 0x80), /key version/],
    ['i with S16', (b) => void (b.isd.i = 0x71), /isd\.i/],
    ['an undefined card life cycle', (b) => void (b.lifeCycle = 0x03), /lifeCycle/],
    ['a security level SCP03 lacks', (b) => void (b.apps[0]!.persoLevel = 0x02), /persoLevel/],
    ['an ATR with a wrong TCK', (b) => void (b.atr = Buffer.from('3B8180018081', 'hex').toString('base64')), /atr/],
    ['a record longer than its EF allows', (b) => void (b.mf.children[0]!.records = [Buffer.alloc(65).toString('base64')]), /records/],
  ];
  for (const [what, edit, field] of cases) {
    writeFileSync(path, edited(edit));
    await t.rejects(SimCard.open({ statePath: path }), { name: 'SimCardError', code: 'IMAGE_CORRUPT', message: field }, what);
  }
  writeFileSync(path, `${good.slice(0, -2)}${' '.repeat(MAX_IMAGE_BYTES)}}\n`);
  await t.rejects(SimCard.open({ statePath: path }), { code: 'IMAGE_CORRUPT', message: /exceeds/ }, 'larger than MAX_IMAGE_BYTES');
  writeFileSync(path, good);
  t.ok(await SimCard.open({ statePath: path }), 'the good image still opens');
});

void t.test('a failed directory fsync after the rename is not a failed write: the new image is the image', async (t) => {
  const path = setup(t);
  const card = await newCard({ statePath: path });
  const before = readImage(path);
  const state = decodeImage(before);
  state.isd.sequenceCounter = 42;
  const store = new FileImageStore(path, () => Promise.reject(Object.assign(new Error('EIO'), { code: 'EIO' })));
  await store.save(state);
  t.not(readImage(path), before, 'replaced');
  t.equal((await store.load())?.isd.sequenceCounter, 42, 'save resolved, and the image holds the new state');
  card.powerOff();
});

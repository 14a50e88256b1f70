// Reader authentication at the kiosk (kiosk/reader-auth.ts, DESIGN §3 step 2,
// docs/reader-auth.md): every refusal reason, both methods, no downgrade, and
// the list of devices (station reader + keypad).
import t from 'tap';
import { toHex } from '../../../card/bytes.js';
import { memoryLogger } from '../../../common/log.js';
import type { ReaderIdentity } from '../../../hardware/station.js';
import { authenticateDevices, authenticateReader } from '../../../kiosk/reader-auth.js';
import { verifyRegistry, type ReaderRegistry, type RegistryReader } from '../../../wire/registry.js';
import { FakeReader, KIOSK, READER, centerPublic, readerEntry, readerSecret, registry } from './fakes.js';

const KEYPAD = 'keypad-1';
const keypadEntry: RegistryReader = { id: KEYPAD, kind: 'keypad', vendor: '04d9', product: 'USB keypad', serial: null, publicKey: null };
const keypad = (): FakeReader => new FakeReader(KEYPAD, null, 'keypad', { vendor: '04d9', product: 'USB keypad', serial: null });

function reg(readers: RegistryReader[] = [readerEntry(), keypadEntry]): ReaderRegistry {
  return verifyRegistry(registry(readers, 7).registry, centerPublic, KIOSK);
}

function deps(): { random: (n: number) => Uint8Array; logger: ReturnType<typeof memoryLogger>; challenges: Uint8Array[] } {
  const challenges: Uint8Array[] = [];
  return {
    challenges,
    logger: memoryLogger('reader-auth-test'),
    random: (n) => {
      const c = new Uint8Array(n).fill(0xa5);
      challenges.push(c);
      return c;
    },
  };
}

/** A reader that signs with its key but never the asked message (a replaying clone), or throws. */
class OddReader extends FakeReader {
  constructor(private readonly behaviour: 'throw' | 'wrong-message' | 'says-no-signature') {
    super(READER, readerSecret);
  }
  override sign(message: Uint8Array): Promise<Uint8Array | undefined> {
    if (this.behaviour === 'throw') return Promise.reject(new Error('USB gone'));
    if (this.behaviour === 'says-no-signature') return Promise.resolve(undefined);
    return super.sign(message.subarray(1));
  }
}

void t.test('challenge-response: a keyed entry and a reader that signs → authenticated; the challenge is wiped', async (t) => {
  const d = deps();
  t.same(await authenticateReader(new FakeReader(), reg(), KIOSK, d), { status: 'authenticated', method: 'challenge-response' });
  t.equal(d.challenges.length, 1);
  t.same([...d.challenges[0]!], new Array<number>(32).fill(0), 'challenge zeroized after use');
  t.match(d.logger.lines.join(''), /reader authenticated.*"method":"challenge-response"/);
});

void t.test('identity match: a keyless entry whose descriptor equals the device’s → authenticated, no challenge', async (t) => {
  const d = deps();
  const keyless = new FakeReader(READER, null);
  t.same(await authenticateReader(keyless, reg([readerEntry({ publicKey: null })]), KIOSK, d), { status: 'authenticated', method: 'identity-match' });
  t.equal(d.challenges.length, 0, 'nothing to sign');
  // A device that could sign is still fine against a keyless entry (the operator chose identity match).
  t.same(await authenticateReader(new FakeReader(), reg([readerEntry({ publicKey: null })]), KIOSK, d), { status: 'authenticated', method: 'identity-match' });
  t.same(await authenticateReader(keypad(), reg(), KIOSK, d), { status: 'authenticated', method: 'identity-match' }, 'null serial matches a device reporting none');
});

void t.test('every refusal, reported with its reason and logged without secrets', async (t) => {
  const cases: { name: string; reader: ReaderIdentity; registry: ReaderRegistry | undefined; reason: string }[] = [
    { name: 'no registry', reader: new FakeReader(), registry: undefined, reason: 'no-registry' },
    { name: 'unknown reader', reader: new FakeReader('other-reader'), registry: reg(), reason: 'unknown-reader' },
    { name: 'empty registry', reader: new FakeReader(), registry: reg([]), reason: 'unknown-reader' },
    { name: 'kind mismatch', reader: new FakeReader(READER, readerSecret, 'pcsc'), registry: reg(), reason: 'kind-mismatch' },
    { name: 'vendor differs', reader: new FakeReader(READER, null), registry: reg([readerEntry({ vendor: 'acme', publicKey: null })]), reason: 'identity-mismatch' },
    { name: 'product differs', reader: new FakeReader(READER, null), registry: reg([readerEntry({ product: 'fake-reader-2', publicKey: null })]), reason: 'identity-mismatch' },
    { name: 'serial differs', reader: new FakeReader(READER, null), registry: reg([readerEntry({ serial: 'SN-2', publicKey: null })]), reason: 'identity-mismatch' },
    { name: 'registry serial null, device has one', reader: new FakeReader(READER, null), registry: reg([readerEntry({ serial: null, publicKey: null })]), reason: 'identity-mismatch' },
    { name: 'registry has a serial, device none', reader: new FakeReader(READER, null, 'sim', { serial: null }), registry: reg([readerEntry({ publicKey: null })]), reason: 'identity-mismatch' },
    { name: 'keyed entry, right descriptor, device cannot sign (no downgrade)', reader: new FakeReader(READER, null), registry: reg(), reason: 'cannot-sign' },
    { name: 'keyed entry, signed with another key', reader: new FakeReader(READER, new Uint8Array(32).fill(0x55)), registry: reg(), reason: 'bad-signature' },
    { name: 'keyed entry, signature of another message', reader: new OddReader('wrong-message'), registry: reg(), reason: 'bad-signature' },
    { name: 'keyed entry, says it signs but gives nothing', reader: new OddReader('says-no-signature'), registry: reg(), reason: 'bad-signature' },
    { name: 'keyed entry, garbage key in a hand-made registry', reader: new FakeReader(), registry: { ...reg(), readers: [readerEntry({ publicKey: 'zz' })] }, reason: 'bad-signature' },
    { name: 'signing failed', reader: new OddReader('throw'), registry: reg(), reason: 'io' },
    { name: 'keyed keypad entry, keypad cannot sign', reader: keypad(), registry: reg([{ ...keypadEntry, publicKey: toHex(new Uint8Array(32).fill(1)) }]), reason: 'cannot-sign' },
  ];
  for (const c of cases) {
    const d = deps();
    t.same(await authenticateReader(c.reader, c.registry, KIOSK, d), { status: 'refused', reason: c.reason }, c.name);
    const log = d.logger.lines.join('\n');
    t.match(log, new RegExp(`reader refused.*"reason":"${c.reason}"`), `${c.name}: logged`);
    t.notMatch(log, /a5a5a5a5|A5A5A5A5/, `${c.name}: no challenge in the log`);
    for (const c2 of d.challenges) t.same([...c2], new Array<number>(c2.length).fill(0), `${c.name}: challenge wiped`);
  }
});

void t.test('authenticateDevices: the station reader and a keypad, each decided on its own', async (t) => {
  const d = deps();
  const both = await authenticateDevices([new FakeReader(), keypad()], reg(), KIOSK, d);
  t.same(
    both.map((r) => [r.device.id, r.result]),
    [
      [READER, { status: 'authenticated', method: 'challenge-response' }],
      [KEYPAD, { status: 'authenticated', method: 'identity-match' }],
    ],
  );
  const keypadDropped = await authenticateDevices([new FakeReader(), keypad()], reg([readerEntry()]), KIOSK, d);
  t.same(
    keypadDropped.map((r) => r.result.status),
    ['authenticated', 'refused'],
  );
  t.same(keypadDropped[1]!.result, { status: 'refused', reason: 'unknown-reader' });
  const swapped = await authenticateDevices([new FakeReader(), new FakeReader(KEYPAD, null, 'keypad', { vendor: '04d9', product: 'USB keypad', serial: 'CLONE' })], reg(), KIOSK, d);
  t.same(swapped[1]!.result, { status: 'refused', reason: 'identity-mismatch' }, 'another keypad with the same ID');
  t.same(await authenticateDevices([], reg(), KIOSK, d), []);
  t.same((await authenticateDevices([keypad()], undefined, KIOSK, d))[0]!.result, { status: 'refused', reason: 'no-registry' });
});

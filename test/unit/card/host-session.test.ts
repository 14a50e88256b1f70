/**
 * CardHostSession against a simulated card: the SCP03 opening sequence, and
 * that the secrets it handles are wiped on every way out (keys from keysFor
 * after the session is derived; the session itself when EXTERNAL
 * AUTHENTICATE fails or its transport does).
 */
import t from 'tap';
import { hex } from '../../../card/bytes.js';
import { CardHostSession } from '../../../card/host-session.js';
import { HostSecureChannel, type StaticKeys } from '../../../card/scp03/index.js';
import { SimCard } from '../../../hardware/sim/card/index.js';

const ISD = hex('A000000151000000');
const key = (b: number): Uint8Array => new Uint8Array(16).fill(b);
const keys = (): StaticKeys => ({ enc: key(1), mac: key(2), dek: key(3), kvn: 0 });

async function card(): Promise<SimCard> {
  const c = await SimCard.open({ profile: { keys: { ...keys(), kvn: 0x30 }, serial: '01020304' } });
  await c.powerOn();
  return c;
}

/** Counts HostSecureChannel.close calls for the duration of one test. */
function countCloses(t: { teardown: (fn: () => void) => void }): { n: number } {
  const counter = { n: 0 };
  // Taken off the prototype on purpose, and only ever called with .call(this) below.
  // eslint-disable-next-line @typescript-eslint/unbound-method
  const original = HostSecureChannel.prototype.close;
  HostSecureChannel.prototype.close = function (this: HostSecureChannel) {
    counter.n++;
    original.call(this);
  };
  t.teardown(() => {
    HostSecureChannel.prototype.close = original;
  });
  return counter;
}

void t.test('opens a session and wipes the keys keysFor handed over', async (t) => {
  const c = await card();
  const session = new CardHostSession((apdu) => c.transmit(apdu));
  let given: StaticKeys | undefined;
  const channel = await session.openSecureChannel({
    sdAid: ISD,
    kvn: 0,
    securityLevel: 0x03,
    hostChallenge: hex('0102030405060708'),
    keysFor: () => (given = keys()),
  });
  t.ok(channel.isOpen);
  t.ok(given !== undefined && [given.enc, given.mac, given.dek].every((k) => k.every((b) => b === 0)), 'static keys zeroized');
  channel.close();
});

void t.test('a transport failure during EXTERNAL AUTHENTICATE closes the half-open channel', async (t) => {
  const closes = countCloses(t);
  const c = await card();
  let sent = 0;
  const session = new CardHostSession(async (apdu) => {
    if (++sent === 3) throw new Error('card removed');
    return c.transmit(apdu);
  });
  await t.rejects(
    session.openSecureChannel({ sdAid: ISD, kvn: 0, securityLevel: 0x03, hostChallenge: hex('0102030405060708'), keysFor: keys }),
    { message: 'card removed' },
  );
  t.equal(closes.n, 1, 'the session keys were zeroized');
});

void t.test('a refused EXTERNAL AUTHENTICATE closes the channel too', async (t) => {
  const closes = countCloses(t);
  const c = await card();
  let sent = 0;
  // The card answers, but EXTERNAL AUTHENTICATE is bent on the way: the card refuses it.
  const session = new CardHostSession(async (apdu) => {
    const bytes = apdu.slice();
    if (++sent === 3) bytes[6]! ^= 0x01;
    return c.transmit(bytes);
  });
  await t.rejects(
    session.openSecureChannel({ sdAid: ISD, kvn: 0, securityLevel: 0x03, hostChallenge: hex('0102030405060708'), keysFor: keys }),
    { name: 'StatusWordError', sw: 0x6300 },
  );
  t.equal(closes.n, 1);
});

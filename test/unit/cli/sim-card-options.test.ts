import t from 'tap';
import { UsageError } from '../../../cli/command.js';
import { parseHostPort, parseSimCardArgs } from '../../../cli/commands/sim-card-options.js';
import { toHex } from '../../../card/bytes.js';

const K16 = '000102030405060708090A0B0C0D0E0F';
const K32 = `${K16}${K16}`;

type SubTest = Parameters<Parameters<typeof t.test>[0]>[0];

function usage(t: SubTest, opts: Record<string, string>, re: RegExp): void {
  try {
    parseSimCardArgs(opts);
    t.fail(`accepted ${JSON.stringify(opts)}`);
  } catch (e) {
    t.ok(e instanceof UsageError, 'UsageError');
    t.match((e as Error).message, re);
  }
}

void t.test('valid options', (t) => {
  const a = parseSimCardArgs({ vpcd: '127.0.0.1:35963', keys: `${K16}:${K16}:${K16}`, kvn: '48', i: '70', state: 'card.img' });
  t.equal(a.host, '127.0.0.1');
  t.equal(a.port, 35963);
  t.equal(toHex(a.keys!.enc), K16);
  t.equal(a.kvn, 48);
  t.equal(a.i, 0x70);
  t.equal(a.state, 'card.img');
  t.equal(parseSimCardArgs({ vpcd: 'h:1', kvn: '0x7F' }).kvn, 127);
  t.equal(parseSimCardArgs({ vpcd: 'h:1', i: '60' }).i, 0x60);
  t.equal(parseSimCardArgs({ vpcd: 'h:1', master: K32 }).master!.length, 32);
  t.equal(parseSimCardArgs({ vpcd: 'h:1', master: K16.toLowerCase() }).master!.length, 16);
  t.same(parseHostPort('[::1]:35963'), { host: '::1', port: 35963 });
  t.same(parseHostPort('localhost:65535'), { host: 'localhost', port: 65535 });
  const none = parseSimCardArgs({ vpcd: 'h:1' });
  t.equal(none.keys, undefined);
  t.equal(none.master, undefined);
  t.end();
});

void t.test('--vpcd errors', (t) => {
  usage(t, {}, /--vpcd HOST:PORT is required/);
  usage(t, { vpcd: 'localhost' }, /not HOST:PORT/);
  usage(t, { vpcd: ':35963' }, /not HOST:PORT/);
  usage(t, { vpcd: 'h:' }, /port '' is not a number/);
  usage(t, { vpcd: 'h:abc' }, /port 'abc' is not a number/);
  usage(t, { vpcd: 'h:0' }, /port 0 is out of range/);
  usage(t, { vpcd: 'h:65536' }, /port 65536 is out of range/);
  usage(t, { vpcd: 'h:-1' }, /not a number/);
  usage(t, { vpcd: '::1:35963' }, /not HOST:PORT/);
  t.end();
});

void t.test('key errors name the option and never echo the key', (t) => {
  usage(t, { vpcd: 'h:1', keys: `${K16}:${K16}`, master: K16 }, /--keys and --master are exclusive/);
  usage(t, { vpcd: 'h:1', keys: `${K16}:${K16}` }, /expected ENC:MAC:DEK.*got 2/);
  usage(t, { vpcd: 'h:1', keys: `${K16}:${K16}:${K16}:${K16}` }, /got 4/);
  usage(t, { vpcd: 'h:1', keys: `${K16}:ZZ${K16.slice(2)}:${K16}` }, /--keys MAC: not hex/);
  usage(t, { vpcd: 'h:1', keys: `${K16}:${K16}:${K16}0` }, /--keys DEK: odd number of hex digits/);
  usage(t, { vpcd: 'h:1', keys: `${K16.slice(2)}:${K16}:${K16}` }, /--keys ENC: 15 bytes; an AES key is 16, 24 or 32 bytes/);
  usage(t, { vpcd: 'h:1', keys: `${K16}:${K32}:${K16}` }, /same length \(got 16, 32, 16 bytes\)/);
  usage(t, { vpcd: 'h:1', keys: `::` }, /--keys ENC: empty key/);
  usage(t, { vpcd: 'h:1', master: `${K16}00` }, /--master: a KMC of 17 bytes/);
  usage(t, { vpcd: 'h:1', master: 'not-hex' }, /--master: not hex/);
  try {
    parseSimCardArgs({ vpcd: 'h:1', keys: `${K16}:${K16}:${K16}00` });
    t.fail('a 17-byte DEK was accepted');
  } catch (e) {
    t.notMatch((e as Error).message, new RegExp(K16), 'key bytes are not echoed');
  }
  t.end();
});

void t.test('--kvn and --i ranges', (t) => {
  usage(t, { vpcd: 'h:1', kvn: '0' }, /--kvn: 0 is out of range \(1\.\.127\)/);
  usage(t, { vpcd: 'h:1', kvn: '128' }, /--kvn: 128 is out of range/);
  usage(t, { vpcd: 'h:1', kvn: '0xFF' }, /--kvn: 255 is out of range/);
  usage(t, { vpcd: 'h:1', kvn: 'x' }, /--kvn: 'x' is not a number/);
  usage(t, { vpcd: 'h:1', kvn: '1.5' }, /not a number/);
  usage(t, { vpcd: 'h:1', i: '10' }, /--i: '10' is not supported; use 60 or 70/);
  usage(t, { vpcd: 'h:1', i: '96' }, /use 60 or 70/);
  usage(t, { vpcd: 'h:1', state: ' ' }, /--state: empty/);
  t.end();
});

void t.test('--protocol: t0 or t1 (and their other spellings); anything else is a usage error', (t) => {
  t.equal(parseSimCardArgs({ vpcd: 'h:1' }).protocol, undefined, 'default: unset (T=1)');
  for (const [text, want] of [['t0', 't0'], ['T=0', 't0'], ['0', 't0'], ['t1', 't1'], ['T=1', 't1'], ['1', 't1']] as const) {
    t.equal(parseSimCardArgs({ vpcd: 'h:1', protocol: text }).protocol, want, text);
  }
  for (const bad of ['t2', 'T=15', '', 'x']) usage(t, { vpcd: 'h:1', protocol: bad }, /--protocol/);
  t.end();
});

import t from 'tap';
import { FakeClock } from '../../../common/clock.js';
import { selectIsd } from '../../../card/gp/index.js';
import { encodeCommand } from '../../../card/apdu.js';
import { buildAtr, checkAtr, DEFAULT_ATR, latencyMs, REFERENCE_LATENCY } from '../../../hardware/sim/card/index.js';
import { newCard, toHex } from './helpers.js';

void t.test('default ATR: T=1, TCK, historical bytes', async (t) => {
  t.equal(toHex(DEFAULT_ATR), '3BFD1300008131FE458031C073FE210065434C53494D05');
  const info = checkAtr(DEFAULT_ATR);
  t.same(info.protocols, [1, 1]);
  t.equal(toHex(info.historical), '8031C073FE210065434C53494D');
  const card = await newCard();
  t.equal(toHex(await card.powerOn()), toHex(DEFAULT_ATR));
  t.equal(toHex(buildAtr(new Uint8Array(0))), '3BF01300008131FE45E8', 'no historical bytes, TCK recomputed');
  t.throws(() => buildAtr(new Uint8Array(16)), { code: 'PROFILE_INVALID' });
  t.throws(() => checkAtr(Uint8Array.of(0x3b, 0x81, 0x80)), { code: 'PROFILE_INVALID' }, 'TD1 announces T=0 then nothing: 1 historical byte missing');
  t.throws(() => checkAtr(Uint8Array.of(0x3a, 0x00)), { code: 'PROFILE_INVALID' }, 'bad TS');
});

void t.test('latency: off by default, REFERENCE_LATENCY on the injected clock', async (t) => {
  // Off: the transmit resolves without the clock moving.
  const fast = await newCard({ clock: new FakeClock() });
  const r = await fast.transmit(encodeCommand(selectIsd()));
  t.ok(r.length > 2);

  const clock = new FakeClock();
  const card = await newCard({ clock, latency: REFERENCE_LATENCY });
  let done = false;
  const pending = card.transmit(encodeCommand(selectIsd())).then((resp) => {
    done = true;
    return resp;
  });
  await new Promise((resolve) => setImmediate(resolve));
  t.equal(done, false, 'the answer waits for the clock');
  clock.advance(20);
  await new Promise((resolve) => setImmediate(resolve));
  t.equal(done, false, 'still processing at 20 ms');
  clock.advance(10);
  const resp = await pending;
  t.equal(done, true, 'answered by 30 ms');
  const ms = latencyMs(REFERENCE_LATENCY, 0xa4, 14, resp.length);
  t.ok(ms >= 17 && ms <= 31, `SELECT takes ${ms.toFixed(1)} ms (reference 17-31)`);
});

void t.test('REFERENCE_LATENCY reproduces the public figures', (t) => {
  const within = (ms: number, lo: number, hi: number, what: string): void => {
    t.ok(ms >= lo && ms <= hi, `${what}: ${ms.toFixed(1)} ms in ${lo}..${hi}`);
  };
  within(latencyMs(REFERENCE_LATENCY, 0xca, 5, 47), 14, 18, 'GET DATA CPLC (~16)');
  within(latencyMs(REFERENCE_LATENCY, 0x50, 14, 34), 43, 47, 'INITIALIZE UPDATE (~45)');
  within(latencyMs(REFERENCE_LATENCY, 0xe2, 260, 2), 47, 50, 'secured 255-byte STORE DATA (47-50)');
  t.equal(latencyMs({ baseMs: 5, perByteMs: 1 }, 0x01, 3, 2), 10, 'base + bytes');
  t.end();
});

// Pure pieces of the center: the job state machine, the request rate limit,
// the one-time code hash, operator JSON validation and data at rest.
import { randomBytes } from 'node:crypto';
import t from 'tap';
import { FakeClock } from '../../../common/clock.js';
import { parseApplicationsJson } from '../../../center/application-input.js';
import { checkCode, hashCode } from '../../../center/code-hash.js';
import { openDgis, sealDgis } from '../../../center/data-crypto.js';
import { canMove, FINAL_STATES, holdsCard, JOB_STATES } from '../../../center/job-state.js';
import { RateLimiter } from '../../../center/rate-limit.js';

const random = (n: number): Uint8Array => new Uint8Array(randomBytes(n));

void t.test('job state machine', (t) => {
  t.ok(canMove('PENDING', 'RESERVED'));
  t.ok(canMove('RESERVED', 'CARD_AUTHENTICATED'));
  t.ok(canMove('CARD_AUTHENTICATED', 'WRITING'));
  t.ok(canMove('WRITING', 'VERIFYING'));
  t.ok(canMove('VERIFYING', 'ISSUED'));
  t.ok(canMove('VERIFYING', 'CARD_AUTHENTICATED'), 're-run on the same card');
  t.ok(canMove('RESERVED', 'PENDING'), 'release without a card');
  t.notOk(canMove('PENDING', 'ISSUED'), 'no shortcut to ISSUED');
  t.notOk(canMove('WRITING', 'ISSUED'), 'ISSUED only after verification');
  t.notOk(canMove('CARD_AUTHENTICATED', 'PENDING'), 'a job holding a card is never released to another card');
  for (const f of FINAL_STATES) for (const s of JOB_STATES) t.notOk(canMove(f, s), `${f} is final (→ ${s})`);
  t.same(
    JOB_STATES.filter((s) => holdsCard(s)),
    ['CARD_AUTHENTICATED', 'WRITING', 'VERIFYING'],
  );
  t.end();
});

void t.test('rate limiter: fixed window per key, bounded memory', (t) => {
  const clock = new FakeClock(1_000);
  const rl = new RateLimiter(clock, { limit: 3, windowMs: 60_000, maxKeys: 2 });
  t.same([rl.take('k1'), rl.take('k1'), rl.take('k1'), rl.take('k1')], [true, true, true, false]);
  t.ok(rl.take('k2'), 'another key has its own window');
  clock.advance(60_000);
  t.ok(rl.take('k1'), 'a new window');
  rl.take('k3');
  rl.take('k4');
  t.ok(rl.take('k1'), 'evicted keys start afresh');
  t.end();
});

void t.test('one-time code: scrypt hash, never the code', async (t) => {
  const params = { logN: 10, r: 8, p: 1 };
  const h = await hashCode('483920', params, random);
  t.match(h, /^scrypt\$10\$8\$1\$/);
  t.notOk(h.includes('483920'));
  t.ok(await checkCode('483920', h));
  t.notOk(await checkCode('483921', h));
  t.not(await hashCode('483920', params, random), h, 'salted');
  await t.rejects(checkCode('x', 'md5$abc'), { code: 'DATA_INTEGRITY' });
  await t.rejects(checkCode('x', 'scrypt$40$8$1$AAAA$AAAA'), { code: 'DATA_INTEGRITY' });
});

void t.test('operator JSON: validated, messages never echo values', (t) => {
  const good = { id: 'APP-1', code: '483920', profile: 'cardline-basic', dgis: [{ tag: '0101', value: '7003' + '5A0112' }] };
  const [a] = parseApplicationsJson(JSON.stringify(good));
  t.equal(a?.id, 'APP-1');
  t.equal(a?.dgis[0]?.tag, 0x0101);
  const bad = (v: unknown, re: RegExp): void => {
    t.throws(() => parseApplicationsJson(typeof v === 'string' ? v : JSON.stringify(v)), { code: 'APPLICATION_INVALID', message: re });
  };
  bad('not json', /not JSON/);
  bad({ ...good, code: '12' }, /code/);
  bad({ ...good, id: '../etc' }, /id/);
  bad({ ...good, dgis: [] }, /dgis/);
  bad({ ...good, dgis: [{ tag: '0101', value: 'abc' }] }, /value/);
  bad({ ...good, extra: 1 }, /application #1/);
  bad({ ...good, dgis: [good.dgis[0], good.dgis[0]] }, /given twice/);
  try {
    parseApplicationsJson(JSON.stringify({ ...good, code: 'SECRET!!' }));
    t.fail('should throw');
  } catch (e) {
    t.notOk((e as Error).message.includes('SECRET'), 'the code is not in the message');
  }
  t.end();
});

void t.test('data at rest: XChaCha20-Poly1305 bound to the application ID', (t) => {
  const key = random(32);
  const dgis = [
    { tag: 0x0101, value: Uint8Array.from([1, 2, 3]) },
    { tag: 0x8000, value: random(16) },
  ];
  const { nonce, sealed } = sealDgis(key, 'APP-1', dgis, random);
  t.notOk(Buffer.from(sealed).includes(Buffer.from(dgis[1]!.value)), 'no plaintext in the ciphertext');
  const back = openDgis(key, 'APP-1', nonce, sealed);
  t.same(back.map((d) => [d.tag, Buffer.from(d.value).toString('hex')]), dgis.map((d) => [d.tag, Buffer.from(d.value).toString('hex')]));
  t.throws(() => openDgis(key, 'APP-2', nonce, sealed), { code: 'DATA_INTEGRITY' }, 'moved to another application');
  const tampered = sealed.slice();
  tampered[0]! ^= 1;
  t.throws(() => openDgis(key, 'APP-1', nonce, tampered), { code: 'DATA_INTEGRITY' });
  t.end();
});

/**
 * kiosk/enrol/answer.ts: the center's enrolment answer is checked with the
 * same chain rules as a renewed certificate (kiosk/keystore/cert-chain.ts):
 * the leaf for this kiosk's key and CN and not a CA, each certificate
 * issued and signed by the next (a CA) and the last by --ca, and EVERY
 * certificate of the chain valid now — the issuing CA too.
 */
import t from 'tap';
import { FakeClock } from '../../../common/clock.js';
import { checkAnswer } from '../../../kiosk/enrol/answer.js';
import { newSoftwareTlsKey } from '../../../kiosk/keystore/software-tls.js';
import { ed25519PublicKey } from '../../../wire/keys.js';
import { signRegistry } from '../../../wire/registry.js';
import { leafFor, random, rawLeafFor, twoTier } from '../renewal/certs.js';

const ID = 'kiosk-5';
const DAY = 86_400_000;

async function setup() {
  const pki = await twoTier();
  const key = await newSoftwareTlsKey(ID);
  key.pkcs8Pem.fill(0);
  const centerSecret = random(32);
  const answer = (certificate: string, now = Date.now()) => ({
    v: 1,
    certificate,
    ca: pki.root.certPem,
    centerSigningPublicKey: Buffer.from(ed25519PublicKey(centerSecret)).toString('hex'),
    registry: signRegistry({ v: 2, kiosk: ID, version: 1, issuedAt: now, readers: [] }, centerSecret),
  });
  const check = (json: unknown, now = Date.now()) => checkAnswer(json, { kioskId: ID, csr: key.csr, caPem: pki.root.certPem, clock: new FakeClock(now) });
  return { pki, key, answer, check };
}

void t.test('a good answer (leaf + issuing CA) passes', async (t) => {
  const s = await setup();
  const pem = await leafFor(s.key.csr, { ca: s.pki.issuing, cn: ID, chain: [s.pki.issuing.certPem] });
  const a = s.check(s.answer(pem));
  t.equal(a.certificate, pem);
  t.match(a.leaf.subject, /CN=kiosk-5/);
  t.equal(a.registry.kiosk, ID);
});

void t.test('refused: a CA certificate as the leaf, an expired issuing CA, another key, a missing intermediate', async (t) => {
  const s = await setup();
  const chain = [s.pki.issuing.certPem];
  const now = Date.now();
  const caLeaf = await rawLeafFor(s.key.csr, { ca: s.pki.issuing, cn: ID, chain, notBefore: new Date(now - DAY), notAfter: new Date(now + DAY), isCa: true });
  t.throws(() => s.check(s.answer(caLeaf)), { code: 'ANSWER_INVALID', message: /the leaf is a CA certificate/ }, 'a CA as the leaf');
  // The issuing CA (20 days) has expired; the leaf, made to outlive it, has not.
  const later = now + 25 * DAY;
  const outliving = await rawLeafFor(s.key.csr, { ca: s.pki.issuing, cn: ID, chain, notBefore: new Date(now - DAY), notAfter: new Date(now + 28 * DAY) });
  t.throws(() => s.check(s.answer(outliving, later), later), { code: 'ANSWER_INVALID', message: /CA certificate 2 of the chain expired/ }, 'the issuing CA expired, the leaf still valid');
  const stranger = await newSoftwareTlsKey(ID);
  stranger.pkcs8Pem.fill(0);
  const other = await leafFor(stranger.csr, { ca: s.pki.issuing, cn: ID, chain });
  t.throws(() => s.check(s.answer(other)), { code: 'ANSWER_INVALID', message: /not for this kiosk's TLS key/ }, 'another key');
  const alone = await leafFor(s.key.csr, { ca: s.pki.issuing, cn: ID });
  t.throws(() => s.check(s.answer(alone)), { code: 'ANSWER_INVALID', message: /does not lead to the --ca/ }, 'no intermediate');
});

/**
 * The audit entry's canonical text (fixed key order, sorted detail keys),
 * its limits, and the signed tree head bytes.
 */
import t from 'tap';
import { ed25519 } from '@noble/curves/ed25519.js';
import { entryText, parseEntryText, toRecord } from '../../../center/audit/entry-text.js';
import { emptyRoot } from '../../../center/audit/merkle.js';
import { treeHeadBytes, treeHeadSigner, verifyTreeHead } from '../../../center/audit/tree-head.js';

const AT = Date.UTC(2025, 0, 2, 3, 4, 5, 678);

void t.test('canonical text: fixed key order, nulls for absent ids, detail keys sorted', (t) => {
  const text = entryText(toRecord(7, AT, { kind: 'job.move', job: 'j1', detail: { to: 'ISSUED', from: 'VERIFYING', n: 2, ok: true, x: null } }));
  t.equal(
    text,
    '{"idx":7,"t":"2025-01-02T03:04:05.678Z","kind":"job.move","kiosk":null,"job":"j1","session":null,"detail":{"from":"VERIFYING","n":2,"ok":true,"to":"ISSUED","x":null}}',
  );
  t.same(parseEntryText(text), { idx: 7, t: '2025-01-02T03:04:05.678Z', kind: 'job.move', kiosk: null, job: 'j1', session: null, detail: { from: 'VERIFYING', n: 2, ok: true, to: 'ISSUED', x: null } });
  // Same entry, keys given in another order: same text.
  t.equal(entryText(toRecord(7, AT, { kind: 'job.move', job: 'j1', detail: { x: null, ok: true, n: 2, to: 'ISSUED', from: 'VERIFYING' } })), text);
  t.match(entryText(toRecord(0, AT, { kind: 'wire.in', detail: { s: 'quote " and \\ and \u0001' } })), /"s":"quote \\" and \\\\ and \\u0001"/);
  t.end();
});

void t.test('entries outside the limits are refused with INVALID_ENTRY', (t) => {
  const bad: [string, unknown][] = [
    ['empty kind', { kind: '', detail: {} }],
    ['upper-case kind', { kind: 'Job.move', detail: {} }],
    ['kind with digits', { kind: 'job2', detail: {} }],
    ['kind of 65 chars', { kind: 'a'.repeat(65), detail: {} }],
    ['33 detail keys', { kind: 'a', detail: Object.fromEntries(Array.from({ length: 33 }, (_, i) => [`k${i}`, i])) }],
    ['string of 257 chars', { kind: 'a', detail: { s: 'x'.repeat(257) } }],
    ['nested object', { kind: 'a', detail: { o: { a: 1 } } }],
    ['array', { kind: 'a', detail: { o: [1] } }],
    ['bytes', { kind: 'a', detail: { o: new Uint8Array(2) } }],
    ['NaN', { kind: 'a', detail: { n: Number.NaN } }],
    ['Infinity', { kind: 'a', detail: { n: Number.POSITIVE_INFINITY } }],
    ['bad key', { kind: 'a', detail: { 'a b': 1 } }],
    ['kiosk not a string', { kind: 'a', kiosk: 5, detail: {} }],
    ['kiosk too long', { kind: 'a', kiosk: 'k'.repeat(257), detail: {} }],
    ['detail missing', { kind: 'a' }],
  ];
  for (const [what, input] of bad) t.throws(() => toRecord(0, AT, input as never), { code: 'INVALID_ENTRY' }, what);
  t.doesNotThrow(() => toRecord(0, AT, { kind: 'a'.repeat(64), detail: Object.fromEntries(Array.from({ length: 32 }, (_, i) => [`k${i}`, 'x'.repeat(256)])) }), 'at the limits');
  t.end();
});

void t.test('parseEntryText refuses texts that are not canonical entries', (t) => {
  const text = entryText(toRecord(3, AT, { kind: 'a', detail: { b: 1, a: 2 } }));
  t.throws(() => parseEntryText('not json'), { code: 'INVALID_ENTRY' });
  t.throws(() => parseEntryText('[1]'), { code: 'INVALID_ENTRY' });
  t.throws(() => parseEntryText(text.replace('{"idx":3,', '{"idx":3, ')), { code: 'INVALID_ENTRY' }, 'extra space');
  t.throws(() => parseEntryText(text.replace('"detail":{"a":2,"b":1}', '"detail":{"b":1,"a":2}')), { code: 'INVALID_ENTRY' }, 'detail keys out of order');
  t.throws(() => parseEntryText(text.replace('.678Z', 'Z')), { code: 'INVALID_ENTRY' }, 'time not in toISOString form');
  t.throws(() => parseEntryText(text.replace('"idx":3', '"idx":-3')), { code: 'INVALID_ENTRY' }, 'negative idx');
  t.end();
});

void t.test('tree head: exact bytes, signature verifies, any change breaks it', (t) => {
  const sk = ed25519.utils.randomSecretKey();
  const pk = ed25519.getPublicKey(sk);
  const head = { size: 0x0102, root: emptyRoot(), signedAtMs: 0x0a0b0c0d0e };
  const bytes = treeHeadBytes(head);
  const label = Buffer.from('cardline-audit-v1\0');
  t.equal(bytes.length, label.length + 8 + 32 + 8);
  t.same(Buffer.from(bytes.subarray(0, label.length)), label);
  t.same([...bytes.subarray(label.length, label.length + 8)], [0, 0, 0, 0, 0, 0, 1, 2], 'u64be size');
  t.same([...bytes.subarray(bytes.length - 8)], [0, 0, 0, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e], 'u64be time');
  const sig = treeHeadSigner(sk)(head);
  t.ok(verifyTreeHead(head, sig, pk));
  t.notOk(verifyTreeHead({ ...head, size: 0x0103 }, sig, pk), 'other size');
  t.notOk(verifyTreeHead({ ...head, signedAtMs: head.signedAtMs + 1 }, sig, pk), 'other time');
  t.notOk(verifyTreeHead(head, sig, ed25519.getPublicKey(ed25519.utils.randomSecretKey())), 'other key');
  t.notOk(verifyTreeHead(head, sig.subarray(0, 63), pk), 'short signature is false, not a throw');
  t.end();
});

void t.test('tree head: the OpenSSL signer gives the very signature @noble/curves gives (RFC 8032 is deterministic)', (t) => {
  for (let i = 0; i < 20; i++) {
    const sk = ed25519.utils.randomSecretKey();
    const head = { size: i * 977, root: ed25519.utils.randomSecretKey(), signedAtMs: Date.UTC(2026, 11, 7) + i };
    const sig = treeHeadSigner(sk)(head);
    t.same(Buffer.from(sig).toString('hex'), Buffer.from(ed25519.sign(treeHeadBytes(head), sk)).toString('hex'), `head ${i}`);
    t.ok(verifyTreeHead(head, sig, ed25519.getPublicKey(sk)));
  }
  t.throws(() => treeHeadSigner(new Uint8Array(31)), { code: 'INVALID_KEY' });
  t.end();
});

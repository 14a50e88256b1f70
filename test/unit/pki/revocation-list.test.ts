/**
 * The pure parts of the CA's revocation state: canonical serials, the strict
 * revoked.json parser and its writer, adding entries idempotently; and
 * common/pem-blocks.ts, which splits ca/crl.pem for the broker.
 */
import t from 'tap';
import { pemBlocks } from '../../../common/pem-blocks.js';
import { canonicalSerial, checkReason, emptyRevocationList, MAX_REVOKED, parseRevocationList, serializeRevocationList, withEntries } from '../../../provisioning/pki/revocation-list.js';

void t.test('canonicalSerial: hex, colons and case ignored, leading zero bytes dropped, 1..20 bytes, not zero', (t) => {
  t.equal(canonicalSerial('4A:5B:6C'), '4a5b6c');
  t.equal(canonicalSerial('00ff'), 'ff');
  t.equal(canonicalSerial('abc'), '0abc', 'odd length padded to whole bytes');
  t.equal(canonicalSerial('80ab'), '80ab', 'a high first byte stays (the DER INTEGER gets its zero byte)');
  t.equal(canonicalSerial('7f'.repeat(20)), '7f'.repeat(20));
  for (const bad of ['', 'xy', '0', '0000', '12 34', '12-34', '7f'.repeat(21), 'ab'.repeat(41)]) {
    t.throws(() => canonicalSerial(bad), { name: 'PkiError', code: 'INVALID_ARGUMENT' }, JSON.stringify(bad));
  }
  t.end();
});

void t.test('checkReason: the RFC 5280 subset we use', (t) => {
  for (const r of ['keyCompromise', 'superseded', 'cessationOfOperation', 'privilegeWithdrawn', 'affiliationChanged']) t.equal(checkReason(r), r);
  for (const r of ['unspecified', 'removeFromCRL', 'KEYCOMPROMISE', '']) t.throws(() => checkReason(r), { code: 'INVALID_ARGUMENT' }, r);
  t.end();
});

void t.test('revoked.json: written and read back; anything unexpected refused as STATE_INVALID', (t) => {
  const l = withEntries(emptyRevocationList(), [{ serial: 'ab', reason: 'superseded' }], Date.UTC(2030, 0, 1)).list;
  const text = serializeRevocationList({ ...l, crlNumber: 7 });
  t.same(parseRevocationList(text, 'f'), { v: 1, crlNumber: 7, revoked: [{ serial: 'ab', date: '2030-01-01T00:00:00.000Z', reason: 'superseded' }] });
  t.same(parseRevocationList(serializeRevocationList(emptyRevocationList()), 'f'), { v: 1, crlNumber: 1, revoked: [] });
  const bad: [string, unknown][] = [
    ['array', []],
    ['v 2', { v: 2, crlNumber: 1, revoked: [] }],
    ['number 0', { v: 1, crlNumber: 0, revoked: [] }],
    ['number fractional', { v: 1, crlNumber: 1.5, revoked: [] }],
    ['missing revoked', { v: 1, crlNumber: 1 }],
    ['extra key', { v: 1, crlNumber: 1, revoked: [], x: 1 }],
    ['entry extra key', { v: 1, crlNumber: 1, revoked: [{ serial: 'ab', date: '2030-01-01T00:00:00.000Z', reason: 'superseded', note: 'x' }] }],
    ['leading zero serial', { v: 1, crlNumber: 1, revoked: [{ serial: '00ab', date: '2030-01-01T00:00:00.000Z', reason: 'superseded' }] }],
    ['date not UTC ISO', { v: 1, crlNumber: 1, revoked: [{ serial: 'ab', date: '2030-01-01', reason: 'superseded' }] }],
    ['impossible date', { v: 1, crlNumber: 1, revoked: [{ serial: 'ab', date: '2030-13-45T99:00:00.000Z', reason: 'superseded' }] }],
  ];
  for (const [what, json] of bad) t.throws(() => parseRevocationList(JSON.stringify(json), 'f'), { name: 'PkiError', code: 'STATE_INVALID', message: /^f: / }, what);
  t.throws(() => parseRevocationList('not json', 'f'), { code: 'STATE_INVALID' });
  t.end();
});

void t.test('withEntries: idempotent per serial, bounded', (t) => {
  const a = withEntries(emptyRevocationList(), [{ serial: 'ab', reason: 'superseded' }, { serial: 'ab', reason: 'keyCompromise' }], 0);
  t.same(a.added.map((e) => [e.serial, e.reason]), [['ab', 'superseded']]);
  const b = withEntries(a.list, [{ serial: 'ab', reason: 'keyCompromise' }, { serial: 'cd', reason: 'keyCompromise' }], 1000);
  t.same(b.added.map((e) => e.serial), ['cd']);
  t.equal(b.list.revoked.length, 2);
  const full = { ...emptyRevocationList(), revoked: Array.from({ length: MAX_REVOKED }, (_, i) => ({ serial: (i + 1).toString(16).padStart(4, '0'), date: '2030-01-01T00:00:00.000Z', reason: 'superseded' as const })) };
  t.throws(() => withEntries(full, [{ serial: 'ffffff', reason: 'superseded' }], 0), { code: 'INVALID_ARGUMENT' });
  t.end();
});

void t.test('pemBlocks: each block of a label, in order, normalised; broken framing refused', (t) => {
  const a = '-----BEGIN X509 CRL-----\r\nAAAA\r\nBBBB\r\n-----END X509 CRL-----\r\n';
  const b = '-----BEGIN X509 CRL-----\nCCCC\n-----END X509 CRL-----';
  const cert = '-----BEGIN CERTIFICATE-----\nDDDD\n-----END CERTIFICATE-----\n';
  t.same(pemBlocks(`explanatory text\n${a}${cert}${b}`, 'X509 CRL'), ['-----BEGIN X509 CRL-----\nAAAA\nBBBB\n-----END X509 CRL-----\n', '-----BEGIN X509 CRL-----\nCCCC\n-----END X509 CRL-----\n']);
  t.same(pemBlocks(cert, 'CERTIFICATE'), [cert]);
  t.same(pemBlocks('nothing here', 'X509 CRL'), []);
  t.throws(() => pemBlocks('-----BEGIN X509 CRL-----\nAAAA\n', 'X509 CRL'), RangeError, 'no END');
  t.throws(() => pemBlocks('AAAA\n-----END X509 CRL-----\n', 'X509 CRL'), RangeError, 'END without BEGIN');
  t.throws(() => pemBlocks('-----BEGIN X509 CRL-----\nAA*A\n-----END X509 CRL-----\n', 'X509 CRL'), RangeError, 'not base64');
  t.throws(() => pemBlocks('-----BEGIN X509 CRL-----\n-----BEGIN X509 CRL-----\n', 'X509 CRL'), RangeError, 'nested');
  t.throws(() => pemBlocks('x', 'bad-label'), RangeError);
  t.end();
});

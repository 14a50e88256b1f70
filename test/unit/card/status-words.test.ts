// Status words, ISO 7816-4 §5.1.3 and GPC v2.3.1 §11.1.3: meanings, the
// secure-messaging success rule, and the typed error a bad SW becomes.
import t from 'tap';
import { CardError, isCardError } from '../../../card/errors.js';
import { SW, StatusWordError, describeSw, expectOk, isSuccessOrWarning, swHex } from '../../../card/status-words.js';

void t.test('named status words have their ISO/GP values', (t) => {
  t.equal(SW.OK, 0x9000);
  t.equal(SW.WRONG_LENGTH, 0x6700);
  t.equal(SW.SECURITY_STATUS_NOT_SATISFIED, 0x6982);
  t.equal(SW.CONDITIONS_NOT_SATISFIED, 0x6985);
  t.equal(SW.WRONG_DATA, 0x6a80);
  t.equal(SW.FILE_NOT_FOUND, 0x6a82);
  t.equal(SW.REFERENCED_DATA_NOT_FOUND, 0x6a88);
  t.equal(SW.INS_NOT_SUPPORTED, 0x6d00);
  t.equal(SW.CLA_NOT_SUPPORTED, 0x6e00);
  t.equal(SW.AUTHENTICATION_FAILED, 0x6300);
  t.equal(SW.MEMORY_FAILURE, 0x6581);
  t.end();
});

void t.test('describeSw: fixed meanings', (t) => {
  t.equal(describeSw(0x9000), 'success');
  t.equal(describeSw(0x6700), 'wrong length');
  t.equal(describeSw(0x6a88), 'referenced data or key not found');
  t.equal(describeSw(0x6d00), 'instruction code not supported or invalid');
  t.equal(describeSw(0x6e00), 'class not supported');
  t.equal(describeSw(0x6300), 'authentication of host cryptogram failed');
  t.equal(describeSw(0x6982), 'security status not satisfied');
  t.end();
});

void t.test('describeSw: ranged status words', (t) => {
  t.equal(describeSw(0x6110), '16 response bytes still available (GET RESPONSE)');
  t.equal(describeSw(0x6100), '256 response bytes still available (GET RESPONSE)', '6100 means 256');
  t.equal(describeSw(0x6c08), 'wrong Le: exact length is 8');
  t.equal(describeSw(0x6c00), 'wrong Le: exact length is 256');
  t.equal(describeSw(0x63c2), 'verification failed, 2 tries left');
  t.equal(describeSw(0x63c0), 'verification failed, 0 tries left');
  t.equal(describeSw(0x6281), 'warning', 'other 62xx');
  t.equal(describeSw(0x6310), 'warning', '63xx outside 63Cx');
  t.equal(describeSw(0x1234), 'unknown status');
  t.equal(describeSw(0x6a00), 'unknown status');
  t.end();
});

void t.test('isSuccessOrWarning: 9000, 62xx and 63xx only (GPC Amd D §6.2.5)', (t) => {
  for (const sw of [0x9000, 0x6200, 0x6283, 0x6300, 0x63c1, 0x63ff]) t.ok(isSuccessOrWarning(sw), swHex(sw));
  for (const sw of [0x9001, 0x6100, 0x6400, 0x6581, 0x6700, 0x6a88, 0x6c10, 0x0000]) t.notOk(isSuccessOrWarning(sw), swHex(sw));
  t.end();
});

void t.test('swHex pads to four uppercase digits', (t) => {
  t.equal(swHex(0x6a88), '6A88');
  t.equal(swHex(0x9000), '9000');
  t.equal(swHex(0x0001), '0001');
  t.end();
});

void t.test('StatusWordError carries the SW and a readable message', (t) => {
  const e = new StatusWordError(0x6a88, 'INITIALIZE UPDATE');
  t.ok(e instanceof CardError);
  t.ok(e instanceof Error);
  t.equal(e.code, 'STATUS_WORD');
  t.equal(e.sw, 0x6a88);
  t.equal(e.name, 'StatusWordError');
  t.equal(e.message, 'STATUS_WORD: INITIALIZE UPDATE: 6A88 (referenced data or key not found)');
  t.ok(isCardError(e, 'STATUS_WORD'));
  t.notOk(isCardError(e, 'APDU_MALFORMED'));
  t.equal(new StatusWordError(0x6700).message, 'STATUS_WORD: 6700 (wrong length)', 'no context');
  t.end();
});

void t.test('expectOk passes 9000 only', (t) => {
  t.doesNotThrow(() => expectOk(0x9000, 'SELECT'));
  t.throws(() => expectOk(0x6982, 'SELECT'), { code: 'STATUS_WORD', sw: 0x6982, message: /SELECT: 6982/ });
  // A warning is not OK for expectOk: callers that accept warnings use isSuccessOrWarning.
  t.throws(() => expectOk(0x6283, 'SELECT'), { name: 'StatusWordError', sw: 0x6283 });
  t.end();
});

void t.test('isCardError', (t) => {
  t.ok(isCardError(new CardError('TLV_MALFORMED', 'x')));
  t.ok(isCardError(new CardError('TLV_MALFORMED', 'x'), 'TLV_MALFORMED'));
  t.notOk(isCardError(new CardError('TLV_MALFORMED', 'x'), 'DGI_MALFORMED'));
  t.notOk(isCardError(new Error('x')));
  t.notOk(isCardError({ code: 'TLV_MALFORMED' }));
  t.equal(new CardError('DGI_MALFORMED', 'bad').message, 'DGI_MALFORMED: bad');
  t.equal(new CardError('DGI_MALFORMED', 'bad').name, 'CardError');
  t.end();
});

import t from 'tap';
import { command } from '../../../card/apdu.js';
import { getStatus, installForPersonalization, parseGetStatus, putKeyAes, selectByAid, selectIsd } from '../../../card/gp/index.js';
import { initializeUpdateCommand } from '../../../card/scp03/index.js';
import { CARD_LIFE_CYCLE } from '../../../hardware/sim/card/index.js';
import { APP_AID, getDataCmd, hex, Host, KEYS, newCard, personalize, send, swHex } from './helpers.js';

const setCard = (state: number) => command(0x80, 0xf0, 0x80, state, new Uint8Array(0));
const { OP_READY, INITIALIZED, SECURED, CARD_LOCKED, TERMINATED } = CARD_LIFE_CYCLE;

void t.test('SET STATUS moves only along GPC v2.3.1 Figure 5-1', async (t) => {
  const card = await newCard();
  const host = new Host(card);
  t.equal(swHex(await send(card, setCard(INITIALIZED))), '6982', 'needs a secure channel');
  await host.authenticate(0x03);
  t.equal(swHex(await host.secure(setCard(SECURED))), '6985', 'OP_READY -> SECURED skips INITIALIZED');
  t.equal(swHex(await host.secure(setCard(CARD_LOCKED))), '6985', 'OP_READY -> CARD_LOCKED');
  t.equal(swHex(await host.secure(setCard(OP_READY))), '6985', 'to the current state');
  t.equal(swHex(await host.secure(setCard(0x03))), '6A86', 'not a card life cycle code');
  t.equal(swHex(await host.secure(setCard(INITIALIZED))), '9000');
  t.equal(swHex(await host.secure(setCard(OP_READY))), '6985', 'INITIALIZED is irreversible');
  t.equal(swHex(await host.secure(setCard(CARD_LOCKED))), '6985', 'INITIALIZED -> CARD_LOCKED');
  t.equal(swHex(await host.secure(setCard(SECURED))), '9000');
  t.equal(swHex(await host.secure(setCard(INITIALIZED))), '6985', 'SECURED is irreversible');
  t.equal(swHex(await host.secure(setCard(CARD_LOCKED))), '9000');
  t.equal(card.inspect().lifeCycleName, 'CARD_LOCKED');
  t.equal(swHex(await host.secure(setCard(SECURED))), '9000', 'CARD_LOCKED -> SECURED (reversible)');
  t.equal(swHex(await host.secure(setCard(TERMINATED))), '9000', 'any -> TERMINATED');
  t.equal(card.inspect().lifeCycle, TERMINATED);
});

void t.test('any state can be terminated', async (t) => {
  for (const start of [OP_READY, INITIALIZED, SECURED, CARD_LOCKED]) {
    const card = await newCard({ profile: { lifeCycle: start } });
    const host = new Host(card);
    await host.authenticate(0x03);
    t.equal(swHex(await host.secure(setCard(TERMINATED))), '9000', `from ${start.toString(16)}`);
  }
});

void t.test('personalization works in OP_READY, INITIALIZED and SECURED', async (t) => {
  for (const lifeCycle of [OP_READY, INITIALIZED, SECURED]) {
    const card = await newCard({ profile: { lifeCycle } });
    const host = new Host(card);
    await host.authenticate(0x03);
    t.same(new Set(await personalize(host, 0x03)), new Set([0x9000]));
    t.equal(card.inspect().lifeCycle, lifeCycle, 'the card state is the issuer\'s to change');
  }
});

void t.test('CARD_LOCKED: only the ISD is selectable; no content changes (GPC v2.3.1 §5.1.1.4)', async (t) => {
  const card = await newCard({ profile: { lifeCycle: CARD_LOCKED } });
  const sel = await send(card, selectIsd());
  t.equal(swHex(sel), '6283', 'the ISD answers with the CARD_LOCKED warning');
  t.ok(sel.data.length > 0, 'and its FCI');
  t.equal(swHex(await send(card, selectByAid(APP_AID))), '6A81', 'application selection: function not supported (table 11-84)');
  t.equal(swHex(await send(card, getDataCmd(0x9f7f))), '9000', 'GET DATA still works');
  const host = new Host(card);
  t.equal(swHex(await host.authenticate(0x03)), '9000', 'a session can still be opened (to unlock)');
  t.equal(swHex(await host.secure(installForPersonalization(APP_AID))), '6985', 'INSTALL [for personalization]');
  t.equal(swHex(await host.secure(putKeyAes({ newKvn: 0x31, replaceKvn: 0, keys: [KEYS.enc, KEYS.mac, KEYS.dek], dek: KEYS.dek }))), '6985', 'PUT KEY');
  t.equal(swHex(await host.secure(command(0x00, 0xd6, 0x81, 0x00, hex('AA')))), '6985', 'UPDATE BINARY');
  t.equal(swHex(await host.secure(command(0x80, 0xf0, 0x40, 0x80, APP_AID))), '6985', 'application lock');
  t.equal(parseGetStatus((await host.secure(getStatus(0x80, false))).data)[0]!.lifeCycle, CARD_LOCKED, 'GET STATUS reports it');
  t.equal(swHex(await host.secure(setCard(SECURED))), '9000', 'unlock');
  t.equal(swHex(await send(card, selectByAid(APP_AID))), '9000', 'the application is selectable again');
});

void t.test('TERMINATED: only GET DATA and SELECT of the ISD (GPC v2.3.1 §5.1.1.5)', async (t) => {
  const card = await newCard({ profile: { lifeCycle: TERMINATED } });
  t.equal(swHex(await send(card, selectIsd())), '9000');
  t.equal(swHex(await send(card, getDataCmd(0x9f7f))), '9000');
  t.equal(swHex(await send(card, getDataCmd(0x66))), '9000');
  t.equal(swHex(await send(card, selectByAid(APP_AID))), '6A82');
  t.equal(swHex(await send(card, '00A4000C023F00')), '6A82', 'no file selection');
  t.equal(swHex(await send(card, initializeUpdateCommand(0, hex('0001020304050607')))), '6985');
  t.equal(swHex(await send(card, '00B0000008')), '6985', 'READ BINARY');
  t.equal(swHex(await send(card, '80F28002024F0000')), '6985', 'GET STATUS');
  t.equal(swHex(await send(card, '80E2800003010100')), '6985', 'STORE DATA');
  t.equal(swHex(await send(card, '8482000010' + '00'.repeat(16))), '6985', 'EXTERNAL AUTHENTICATE');
  t.equal(card.inspect().isd.sequenceCounter, 0, 'nothing written');
});

void t.test('application lock and unlock (SET STATUS P1 40)', async (t) => {
  const card = await newCard();
  const host = new Host(card);
  await host.authenticate(0x03);
  await personalize(host, 0x03);
  t.equal(swHex(await host.secure(command(0x80, 0xf0, 0x40, 0x00, APP_AID))), '6985', 'unlock of an unlocked application');
  t.equal(swHex(await host.secure(command(0x80, 0xf0, 0x40, 0x80, APP_AID))), '9000');
  t.equal(swHex(await host.secure(command(0x80, 0xf0, 0x40, 0x80, APP_AID))), '6985', 'already locked');
  t.equal(card.inspect().apps[0]!.lifeCycle, 0x83);
  t.equal(swHex(await host.secure(command(0x80, 0xf0, 0x40, 0x80, hex('F0434152444C494E4599')))), '6A88', 'unknown AID');
  t.equal(swHex(await host.secure(command(0x80, 0xf0, 0x40, 0x80, hex('F043')))), '6A80', 'not an AID');
  t.equal(swHex(await host.secure(command(0x80, 0xf0, 0x60, 0x80, APP_AID))), '6A86', 'P1 60 not supported');
  t.equal(swHex(await host.secure(command(0x80, 0xf0, 0x40, 0x00, APP_AID))), '9000', 'unlock');
  t.equal(card.inspect().apps[0]!.lifeCycleName, 'PERSONALIZED', 'back to the state it had');
});

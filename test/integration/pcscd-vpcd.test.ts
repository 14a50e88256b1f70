/**
 * The independent proof (issue 2, point 6): Debian's pcscd with vsmartcard's
 * vpcd driver, our simulated card attached as a separate process
 * (`cardline sim card --vpcd`), and a PC/SC client that is not ours
 * (python3-pyscard) reading the ATR, selecting the ISD and sending
 * INITIALIZE UPDATE with its own host challenge. Our host side then checks
 * the card cryptogram for the keys the card was given, and that other keys
 * fail.
 *
 * Isolation: the test runs its OWN pcscd, in the foreground, with a temp
 * reader.conf whose vpcd DEVICENAME (/dev/null:0x<port>) puts the virtual
 * reader on a free port (vpcd also opens port+1 for its second slot), and
 * on a private socket: pcscd 1.9.9 ignores PCSCLITE_CSOCK_NAME, so it is
 * socket-activated on that path (fixtures/pcscd_socket_activate.py) and
 * the client finds it through PCSCLITE_CSOCK_NAME. A system pcscd, if any,
 * is not touched (only /run/pcscd/pcscd.pid is written and removed by ours).
 *
 * Missing packages are a failure naming scripts/deps.sh, not a skip.
 */
import t from 'tap';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hex, toHex } from '../../card/bytes.js';
import { HostSecureChannel } from '../../card/scp03/host-channel.js';
import { freePortPair, missingPcscDeps, outputOf, startProcess, stopProcess, VPCD_DRIVER, waitForOutput, type Proc } from '../fixtures/pcscd.js';

const FIXTURES = join(import.meta.dirname, 'fixtures');
const PYTHON = '/usr/bin/python3'; // Debian's, where python3-pyscard lives (not a pyenv shim)
const ISD_AID = 'A000000151000000';
// Arbitrary test keys (not the GP default 40..4F, so a card falling back to defaults would fail).
const KEYS = { enc: '00112233445566778899AABBCCDDEEF0', mac: '0F1E2D3C4B5A69788796A5B4C3D2E1F0', dek: 'F0E0D0C0B0A090807060504030201000' };
const KVN = 0x30;

/** The fixture's pcscd/vpcd check, plus pyscard (the independent client). */
function missingDeps(): string[] {
  const missing = missingPcscDeps();
  if (!existsSync(PYTHON) || !existsSync('/usr/lib/python3/dist-packages/smartcard')) missing.push('python3-pyscard');
  return missing;
}

void t.test('pcscd + vpcd + pyscard drive our simulated card; our host side verifies its cryptogram', async (t) => {
  const missing = missingDeps();
  if (missing.length > 0) {
    t.fail(`missing Debian packages: ${missing.join(', ')}. Run scripts/deps.sh (make test does) to install them.`);
    return;
  }
  const dir = await mkdtemp(join(tmpdir(), 'cardline-pcscd-'));
  const procs: { pcscd?: Proc; card?: Proc; client?: Proc } = {};
  t.teardown(async () => {
    await stopProcess(procs.client);
    await stopProcess(procs.card);
    await stopProcess(procs.pcscd);
    await rm(dir, { recursive: true, force: true });
  });

  const port = await freePortPair();
  const conf = join(dir, 'reader.conf');
  const sock = join(dir, 'pcscd.comm');
  const portHex = port.toString(16).toUpperCase();
  await writeFile(conf, `FRIENDLYNAME "Virtual PCD"\nDEVICENAME /dev/null:0x${portHex}\nLIBPATH ${VPCD_DRIVER}\n`);
  const pcscd = (procs.pcscd = startProcess(PYTHON, [join(FIXTURES, 'pcscd_socket_activate.py'), sock, 'pcscd', '--foreground', '--debug', '--config', conf]));
  await waitForOutput(pcscd, /daemon ready/, 10_000, 'pcscd');
  t.match(outputOf(pcscd), new RegExp(`Waiting for virtual ICC on port ${port}\\b`), `vpcd listens on port ${port} from the temp config`);
  t.match(outputOf(pcscd), /Started by systemd/, 'pcscd took our private socket (socket activation)');

  const state = join(dir, 'card.eeprom');
  const keys = `${KEYS.enc}:${KEYS.mac}:${KEYS.dek}`;
  const card = (procs.card = startProcess(process.execPath, ['--import', 'tsx', 'cli/main.ts', 'sim', 'card', '--vpcd', `127.0.0.1:${port}`,
    '--keys', keys, '--kvn', String(KVN), '--i', '70', '--state', state]));
  const line = await waitForOutput(card, /connected to vpcd at [^\n]*\n/, 30_000, 'cardline sim card');
  const ourAtr = /ATR ([0-9A-F]+)/.exec(line)?.[1];
  t.ok(ourAtr, 'the card printed its ATR');
  t.notMatch(card.out.join('') + card.err.join(''), new RegExp(`${KEYS.enc}|${KEYS.mac}|${KEYS.dek}`, 'i'), 'no key in the output');

  const client = (procs.client = startProcess(PYTHON, [join(FIXTURES, 'pyscard_init_update.py'), 'Virtual PCD 00 00', ISD_AID, KVN.toString(16), '20'], {
    ...process.env,
    PCSCLITE_CSOCK_NAME: sock,
  }));
  const code = await client.exited;
  t.equal(code, 0, 'pyscard client succeeded', { stderr: client.err.join(''), stdout: client.out.join('') });
  const r = JSON.parse(client.out.join('')) as { atr: string; select: string; hostChallenge: string; initUpdate: string };

  t.equal(r.atr, ourAtr, 'PC/SC reports the ATR our card sent');
  t.equal(r.select.slice(-4), '9000', 'SELECT ISD: 9000');
  t.equal(r.select.slice(0, 2), '6F', 'SELECT ISD: FCI template');
  t.ok(r.select.includes(ISD_AID), 'FCI names the ISD');
  t.equal(r.initUpdate.slice(-4), '9000', 'INITIALIZE UPDATE: 9000');
  const iu = hex(r.initUpdate.slice(0, -4));
  t.equal(iu.length, 32, 'i=70: KDD ‖ key info ‖ challenge ‖ cryptogram ‖ sequence counter');
  t.equal(toHex(iu.slice(10, 13)), `${KVN.toString(16).toUpperCase()}0370`, 'key info: KVN 30, SCP03, i=70');

  const staticKeys = (): { enc: Uint8Array; mac: Uint8Array; dek: Uint8Array; kvn: number } => ({
    enc: hex(KEYS.enc),
    mac: hex(KEYS.mac),
    dek: hex(KEYS.dek),
    kvn: KVN,
  });
  const open = (keys: ReturnType<typeof staticKeys>): HostSecureChannel =>
    HostSecureChannel.open({ keys, hostChallenge: hex(r.hostChallenge), initUpdateResponse: iu, securityLevel: 0x03, aid: hex(ISD_AID) });
  const channel = open(staticKeys());
  t.ok(channel.isOpen, 'card cryptogram (and pseudo-random card challenge) verified with the keys given to the card');
  t.equal(channel.kvn, KVN);
  channel.close();

  const wrong = staticKeys();
  wrong.mac[0]! ^= 0x01;
  t.throws(() => open(wrong), { name: 'CardError', code: 'CARD_CRYPTOGRAM' }, 'a wrong MAC key fails the card cryptogram');
  const wrongEnc = staticKeys();
  wrongEnc.enc[15]! ^= 0x80;
  t.throws(() => open(wrongEnc), { name: 'CardError', code: 'CARD_CHALLENGE' }, 'a wrong ENC key fails the pseudo-random challenge');

  t.equal(await stopProcess(card), 0, 'sim card exits 0 on SIGTERM');
  t.ok(existsSync(state), 'the card kept its EEPROM image');
});

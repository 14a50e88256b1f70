/**
 * `cardline hw list` against a serial dispenser on a real PTY (the
 * simulated dispenser behind socat) and a keypad and PC/SC reader list
 * injected at their listing boundary: each device with its identity and
 * its authentication status against a center-signed registry file, and the
 * refusals (unknown device, identity mismatch, a registry signed by
 * someone else, a registry missing).
 */
import t from 'tap';
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { systemClock } from '../../../common/clock.js';
import { readKeyFile } from '../../../common/key-files.js';
import { makeHwListCommand, type HwListDeps } from '../../../cli/commands/hw-list.js';
import { parseReaderName } from '../../../hardware/pcsc/index.js';
import { sealDevKiosk } from '../../../kiosk/keystore/index.js';
import { initDevPki } from '../../../provisioning/pki/dev-pki.js';
import { signRegistry, type RegistryReader } from '../../../wire/registry.js';
import { runCommands, type CliRun } from '../../fixtures/cli-run.js';
import { startPtyDispenser } from '../../fixtures/pty-dispenser.js';
import { random } from '../../fixtures/rig.js';
import { KMC } from '../hardware/station-helpers.js';

const VPCD = 'Virtual PCD 00 00';
const deps: HwListDeps = {
  pcsc: () => Promise.resolve([{ ...parseReaderName(VPCD), cardPresent: true }]),
  keypads: () => Promise.resolve([]),
};

const hwList = (args: string[]): Promise<CliRun> => runCommands(['hw', 'list', ...args], [makeHwListCommand(deps)]);

void t.test('hw list: devices with their identity, authenticated or refused against the signed registry', async (t) => {
  const dir = t.testdir({});
  const pki = await initDevPki(join(dir, 'pki'), { kiosks: ['kiosk-1'], random, clock: systemClock, sealKiosk: sealDevKiosk });
  const centerSecret = await readKeyFile(pki.center.signingKey, 32, { secret: true });
  const pty = await startPtyDispenser({ create: { count: 2, stockMasterKey: KMC } });
  t.teardown(() => pty.stop());
  const spec = `serial:${pty.hostPath}`;
  const vpcd = parseReaderName(VPCD);
  const dispenserEntry: RegistryReader = { id: pty.station.identity.id, kind: 'dispenser', vendor: 'cardline', product: 'stx-etx-dispenser/1', serial: pty.station.identity.id, publicKey: pty.station.identity.publicKeyHex };
  const readerEntry: RegistryReader = { id: vpcd.id, kind: 'pcsc', ...vpcd.descriptor, publicKey: null };
  const write = async (name: string, readers: RegistryReader[], secret = centerSecret): Promise<string> => {
    const file = join(dir, name);
    await writeFile(file, JSON.stringify(signRegistry({ v: 2, kiosk: 'kiosk-1', version: 3, issuedAt: 1, readers }, secret)));
    return file;
  };
  const identity = pki.kiosks['kiosk-1']!.dir;

  const none = await hwList(['--dispenser', spec]);
  t.equal(none.code, 0, 'without a registry nothing is refused');
  t.match(none.out, /reader\s+\S+\s+pcsc:Virtual PCD 00 00/);
  t.match(none.out, new RegExp(`dispenser\\s+${pty.station.identity.id}\\s+serial:`));
  t.match(none.out, /hopper low \(2\), IC station empty; signs challenges/);
  t.match(none.out, /not checked \(no --identity\)/);

  const good = await hwList(['--identity', identity, '--registry', await write('good.json', [dispenserEntry, readerEntry]), '--dispenser', spec, '--json']);
  t.equal(good.code, 0, good.err);
  const doc = JSON.parse(good.out) as { devices: { class: string; id: string; auth: string }[] };
  t.same(
    doc.devices.map((d) => [d.class, d.auth]),
    [
      ['reader', 'authenticated (identity-match)'],
      ['dispenser', 'authenticated (challenge-response)'],
    ],
    'the reader by identity match, the dispenser by its signature',
  );

  // The listing reads only the public half of the identity: a directory without the private keys serves.
  const publicOnly = join(dir, 'public-only');
  await mkdir(publicOnly);
  for (const f of ['tls.crt', 'center-signing.pub']) await copyFile(join(identity, f), join(publicOnly, f));
  const pub = await hwList(['--identity', publicOnly, '--registry', join(dir, 'good.json'), '--dispenser', spec]);
  t.equal(pub.code, 0, pub.err);
  t.match(pub.out, /authenticated \(challenge-response\)/, 'without tls.key and signing.key in the directory');

  const mismatch = await hwList(['--identity', identity, '--registry', await write('mismatch.json', [{ ...dispenserEntry, publicKey: '11'.repeat(32) }, { ...readerEntry, serial: 'X123' }]), '--dispenser', spec]);
  t.equal(mismatch.code, 1, 'a refused device: exit code 1');
  t.match(mismatch.out, /refused: identity-mismatch/, 'the reader reports another serial than the registry');
  t.match(mismatch.out, /refused: bad-signature/, 'the dispenser does not sign with the registered key');

  const unknown = await hwList(['--identity', identity, '--registry', await write('empty.json', [])]);
  t.equal(unknown.code, 1);
  t.match(unknown.out, /refused: unknown-reader/);

  const forged = await hwList(['--identity', identity, '--registry', await write('forged.json', [readerEntry], new Uint8Array(32).fill(7))]);
  t.equal(forged.code, 1, 'a registry the center did not sign is refused, and so is every device');
  t.match(forged.out, /refused: no-registry \(registry refused: .*not signed by the center/);

  const missing = await hwList(['--identity', identity]);
  t.match(missing.out, /refused: no-registry \(no registry at .*registry\.json\)/, 'the default registry file is in the identity directory');
  centerSecret.fill(0);

  const bad = await hwList(['--dispenser', 'serial:tty']);
  t.equal(bad.code, 2);
  t.match(bad.err, /--dispenser: .*absolute path/);
  const gone = await hwList(['--dispenser', '/dev/nonexistent-tty'.replace(/^/, 'serial:')]);
  t.equal(gone.code, 1, 'a named dispenser that cannot be opened: exit code 1');
  t.match(gone.out, /note: dispenser serial:\/dev\/nonexistent-tty: IO: cannot open/);
});

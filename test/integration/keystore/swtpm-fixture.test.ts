/**
 * The TPM fixtures themselves (test/fixtures/swtpm.ts): a fresh swtpm
 * answers tpm2-tools and starts with PCRs at zero; tpm2-abrmd on a private
 * session bus answers `tabrmd:bus_type=session`; both are gone after stop.
 */
import t from 'tap';
import { execFileSync } from 'node:child_process';
import { startAbrmd, startSwtpm, swtpmMissing } from '../../fixtures/swtpm.js';

const missing = swtpmMissing();

void t.test('a fresh swtpm, and tpm2-abrmd on a private bus in front of it', { skip: missing ?? false }, async (t) => {
  const tpm = await startSwtpm(t);
  const pcr = execFileSync('tpm2_pcrread', ['sha256:7'], { env: tpm.env, encoding: 'utf8' });
  t.match(pcr, /7 : 0x0{64}/, 'PCR 7 starts at zero');
  await tpm.extendPcr(7);
  t.notMatch(execFileSync('tpm2_pcrread', ['sha256:7'], { env: tpm.env, encoding: 'utf8' }), /7 : 0x0{64}/, 'extended');
  t.same(await tpm.transientHandles(), []);
  const abrmd = await startAbrmd(t, tpm);
  t.match(execFileSync('tpm2_getcap', ['properties-fixed'], { env: abrmd.env, encoding: 'utf8' }), /TPM2_PT_FAMILY_INDICATOR/, 'a client through abrmd');
  t.match(abrmd.env.DBUS_SESSION_BUS_ADDRESS, /^unix:path=.*cardline-dbus-/, 'a private bus, not the system one');
  await abrmd.stop();
  await tpm.stop();
  t.throws(() => execFileSync('tpm2_getcap', ['properties-fixed'], { env: tpm.env, stdio: 'pipe' }), 'the swtpm is gone');
});

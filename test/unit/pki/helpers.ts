/**
 * Shared by the fleet CA unit tests: a development PKI (root, issuing CA, no
 * kiosks unless asked) in a temp dir removed at teardown, `openssl verify`
 * on real files, and small readers of the CA's state files.
 */
import type { Test } from 'tap';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { systemClock, type Clock } from '../../../common/clock.js';
import { pemBlocks } from '../../../common/pem-blocks.js';
import { sealDevKiosk } from '../../../kiosk/keystore/index.js';
import { initDevPki, type DevPkiLayout } from '../../../provisioning/pki/dev-pki.js';
import * as x509 from '../../../provisioning/pki/x509.js';

export const DAY = 86_400_000;
export const random = (n: number): Uint8Array => new Uint8Array(randomBytes(n));

export async function tmp(t: Test, prefix = 'cardline-pki-'): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** A development PKI in a fresh temp dir. */
export async function devPki(t: Test, o: { kiosks?: string[]; clock?: Clock } = {}): Promise<DevPkiLayout> {
  const dir = await tmp(t);
  return initDevPki(join(dir, 'pki'), { kiosks: o.kiosks ?? [], random, clock: o.clock ?? systemClock, sealKiosk: sealDevKiosk });
}

/** ca/crl.pem's two CRLs, parsed: [root, issuing]. */
export async function crls(layout: DevPkiLayout): Promise<x509.X509Crl[]> {
  return pemBlocks(await readFile(layout.ca.crl, 'ascii'), 'X509 CRL').map((b) => new x509.X509Crl(b));
}

/** cRLNumber of a parsed CRL. */
export function crlNumber(crl: x509.X509Crl): number {
  const ext = crl.extensions.find((e) => e.type === '2.5.29.20');
  if (!ext) throw new Error('no cRLNumber');
  return new Uint8Array(ext.value).subarray(2).reduce((n, b) => n * 256 + b, 0);
}

export const noOpenssl: string | false = (() => {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return false;
  } catch {
    return 'openssl not installed';
  }
})();

/** `openssl verify` with the whole chain's CRLs checked: its stdout, or 'FAILED …' with its output. */
export function opensslVerify(o: { root: string; untrusted?: string; crl: string; purpose: string; cert: string }): string {
  const args = ['verify', '-CAfile', o.root, ...(o.untrusted ? ['-untrusted', o.untrusted] : []), '-crl_check_all', '-CRLfile', o.crl, '-purpose', o.purpose, o.cert];
  try {
    return execFileSync('openssl', args, { encoding: 'utf8', stdio: 'pipe' });
  } catch (e) {
    return `FAILED ${String((e as { stdout?: string }).stdout)}${String((e as { stderr?: string }).stderr)}`;
  }
}

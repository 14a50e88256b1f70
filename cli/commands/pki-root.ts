/**
 * `cardline pki root init ROOTDIR` and `cardline pki root crl ROOTDIR`: the
 * offline root of the fleet CA (docs/provisioning.md §1). Run them on the
 * offline machine that holds ROOTDIR; only certificates and CRLs leave it.
 */
import { writePemFile } from '../../common/key-files.js';
import { initRootCa } from '../../provisioning/pki/fleet-ca.js';
import { DEFAULT_ROOT_DAYS, ROOT_CA_NAME } from '../../provisioning/pki/fleet-ca.js';
import { rootLayout } from '../../provisioning/pki/layout.js';
import { DEFAULT_ROOT_CRL_DAYS, signRootCrl } from '../../provisioning/pki/root-crl.js';
import { REVOCATION_REASONS } from '../../provisioning/pki/revocation-list.js';
import { cryptoRandom } from '../random.js';
import type { Command } from '../command.js';
import { asUsage, certFacts, daysOption, pkiRun, reasonOption, requiredPositional, requiredString, serialOption } from './pki-output.js';

export const pkiRootInitCommand: Command = {
  path: ['pki', 'root', 'init'],
  summary: 'Create the offline root CA of the fleet (two-tier PKI)',
  usage: 'pki root init ROOTDIR [--name NAME] [--days N] [--json]',
  description: `
Creates a self-signed P-256 root CA (pathLen 1: it signs issuing CAs only)
in ROOTDIR: root.crt, root.key (0600), revoked.json (the issuing CAs it
revoked, none yet) and root-crl.pem (its first CRL, valid ${DEFAULT_ROOT_CRL_DAYS} days).
Keep ROOTDIR on an offline machine or removable medium: the root key
signs nothing but issuing CAs and the root CRL. Next step:
'cardline pki issuing init --root ROOTDIR DIR'.

--name   CN of the root (default '${ROOT_CA_NAME}')
--days   validity of the root (default ${DEFAULT_ROOT_DAYS}, 20 years)
--json   print one JSON object

Exit codes: 0 created, 1 ROOTDIR already holds a root (EXISTS) or another
failure, 2 usage.`,
  options: {
    name: { type: 'string', arg: 'NAME', description: 'CN of the root CA' },
    days: { type: 'string', arg: 'N', description: 'Validity of the root in days' },
    json: { type: 'boolean', description: 'Print one JSON object' },
  },
  positionals: ['ROOTDIR'],
  run: pkiRun(async (ctx, opts, positionals) => {
    const dir = requiredPositional(positionals, 'ROOTDIR');
    const days = daysOption(opts);
    const name = typeof opts.name === 'string' ? opts.name : undefined;
    const r = await asUsage(initRootCa(dir, { random: cryptoRandom, clock: ctx.clock, ...(days !== undefined ? { days } : {}), ...(name !== undefined ? { name } : {}) }));
    const root = await certFacts(r.files.cert);
    ctx.logger.info('root CA created', { sha256: root.sha256 });
    return {
      json: { root: { ...root, key: r.files.key }, crl: { path: r.files.crl } },
      text: [`root CA created in ${r.files.dir}`, `root    ${root.path}  SHA-256 ${root.sha256}  until ${root.notAfter}`, `        key ${r.files.key} (0600): keep this directory offline`, `        CRL ${r.files.crl}`],
    };
  }),
};

export const pkiRootCrlCommand: Command = {
  path: ['pki', 'root', 'crl'],
  summary: "Re-sign the root's CRL offline, optionally revoking an issuing CA",
  usage: 'pki root crl ROOTDIR --out FILE [--revoke-issuing SERIAL] [--reason R] [--days N] [--json]',
  description: `
Signs a new root CRL (cRLNumber + 1) from ROOTDIR's revoked.json, with
--revoke-issuing adding an issuing CA's certificate serial (hex) to it first
(idempotent). Writes it to ROOTDIR/root-crl.pem and to --out. Bring FILE to
each PKI directory as ca/root-crl.pem and run 'cardline pki crl --pki DIR'
there, which republishes ca/crl.pem. Do it at least once a year: an expired
root CRL locks every client out.

--out             where to write the new CRL (PEM)
--revoke-issuing  serial of an issuing CA certificate to revoke
--reason          ${REVOCATION_REASONS.join(' | ')} (default cessationOfOperation)
--days            nextUpdate of the CRL in days (default ${DEFAULT_ROOT_CRL_DAYS})
--json            print one JSON object

Exit codes: 0 signed, 1 no root in ROOTDIR or its state is invalid, 2 usage,
3 another writer holds ROOTDIR's lock (retry).`,
  options: {
    out: { type: 'string', arg: 'FILE', description: 'Where to write the new root CRL' },
    'revoke-issuing': { type: 'string', arg: 'SERIAL', description: 'Serial (hex) of an issuing CA certificate to revoke' },
    reason: { type: 'string', arg: 'REASON', description: 'Revocation reason' },
    days: { type: 'string', arg: 'N', description: 'CRL validity in days' },
    json: { type: 'boolean', description: 'Print one JSON object' },
  },
  positionals: ['ROOTDIR'],
  run: pkiRun(async (ctx, opts, positionals) => {
    const dir = requiredPositional(positionals, 'ROOTDIR');
    const out = requiredString(opts, 'out');
    const days = daysOption(opts);
    const serial = opts['revoke-issuing'] !== undefined ? serialOption(opts, 'revoke-issuing') : undefined;
    const reason = reasonOption(opts, 'cessationOfOperation');
    const r = await signRootCrl(dir, {
      force: true,
      random: cryptoRandom,
      clock: ctx.clock,
      ...(days !== undefined ? { days } : {}),
      ...(serial !== undefined ? { revoke: [{ serial, reason }] } : {}),
    });
    await writePemFile(out, r.crlPem, { secret: false, overwrite: true });
    ctx.logger.info('root CRL signed', { number: r.number, added: r.added.length });
    const crl = { path: rootLayout(dir).crl, out, number: r.number, nextUpdate: r.nextUpdate.toISOString() };
    return {
      json: { crl, added: r.added },
      text: [`root CRL number ${r.number} signed, next update ${crl.nextUpdate}`, `written to ${crl.path} and ${out}`, ...(r.added.length > 0 ? [`revoked issuing CA ${r.added.join(', ')}`] : [])],
    };
  }),
};

/**
 * `cardline pki issuing init --root ROOTDIR DIR`: the online issuing CA of
 * the fleet (docs/provisioning.md §1), its key born in DIR/ca and its
 * certificate signed by the offline root.
 */
import { DEFAULT_ISSUING_DAYS, initIssuingCa, ISSUING_CA_NAME } from '../../provisioning/pki/fleet-ca.js';
import { DEFAULT_CRL_DAYS } from '../../provisioning/pki/issuing.js';
import { cryptoRandom } from '../random.js';
import type { Command } from '../command.js';
import { asUsage, certFacts, daysOption, pkiRun, requiredPositional, requiredString } from './pki-output.js';

export const pkiIssuingInitCommand: Command = {
  path: ['pki', 'issuing', 'init'],
  summary: 'Create the online issuing CA, signed by the offline root',
  usage: 'pki issuing init --root ROOTDIR DIR [--name NAME] [--days N] [--json]',
  description: `
Creates a P-256 issuing CA (pathLen 0: it signs broker, center and kiosk
certificates) in DIR/ca: issuing.key (0600, the center's online key),
issuing.crt signed by the root in ROOTDIR, ca.crt (the root: the trust
anchor every party is given), root-crl.pem (the root's CRL, re-signed first
if less than half of it remains), revoked.json (empty) and crl.pem (the
root CRL then the issuing CA's, ${DEFAULT_CRL_DAYS} days; the center re-signs it).

--root   the root CA directory ('cardline pki root init')
--name   CN of the issuing CA (default '${ISSUING_CA_NAME}')
--days   validity of the issuing CA (default ${DEFAULT_ISSUING_DAYS}, 5 years; not past the root's)
--json   print one JSON object

Exit codes: 0 created, 1 DIR already holds a CA (EXISTS), no root in
ROOTDIR (NOT_FOUND) or another failure, 2 usage, 3 ROOTDIR's lock is held.`,
  options: {
    root: { type: 'string', arg: 'ROOTDIR', description: 'The root CA directory' },
    name: { type: 'string', arg: 'NAME', description: 'CN of the issuing CA' },
    days: { type: 'string', arg: 'N', description: 'Validity of the issuing CA in days' },
    json: { type: 'boolean', description: 'Print one JSON object' },
  },
  positionals: ['DIR'],
  run: pkiRun(async (ctx, opts, positionals) => {
    const root = requiredString(opts, 'root');
    const dir = requiredPositional(positionals, 'DIR');
    const days = daysOption(opts);
    const name = typeof opts.name === 'string' ? opts.name : undefined;
    const r = await asUsage(initIssuingCa(root, dir, { random: cryptoRandom, clock: ctx.clock, ...(days !== undefined ? { days } : {}), ...(name !== undefined ? { name } : {}) }));
    const issuing = await certFacts(r.files.issuingCert);
    const anchor = await certFacts(r.files.cert);
    ctx.logger.info('issuing CA created', { sha256: issuing.sha256 });
    return {
      json: { dir, issuing: { ...issuing, key: r.files.issuingKey }, anchor, crl: { path: r.files.crl, rootCrl: r.files.rootCrl, revoked: r.files.revoked } },
      text: [
        `issuing CA created in ${r.files.dir}`,
        `issuing ${issuing.path}  SHA-256 ${issuing.sha256}  until ${issuing.notAfter}`,
        `        key ${r.files.issuingKey} (0600)`,
        `anchor  ${anchor.path} (the root)  SHA-256 ${anchor.sha256}`,
        `CRLs    ${r.files.crl}`,
      ],
    };
  }),
};

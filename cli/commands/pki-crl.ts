/**
 * `cardline pki crl`, `pki revoke` and `pki status` on a PKI directory's
 * issuing CA (docs/provisioning.md §1): publishing the CRL, putting a
 * certificate on it, and the state of both CAs and CRLs.
 */
import { publishCrl, revokeSerials, DEFAULT_CRL_DAYS } from '../../provisioning/pki/issuing.js';
import { caLayout } from '../../provisioning/pki/layout.js';
import { REVOCATION_REASONS } from '../../provisioning/pki/revocation-list.js';
import { pkiStatus, type CrlStatus } from '../../provisioning/pki/status.js';
import { cryptoRandom } from '../random.js';
import type { Command } from '../command.js';
import { pkiRun, reasonOption, requiredString, serialOption } from './pki-output.js';

const LOCK_NOTE = '3 another writer holds the CA lock (retry later)';

export const pkiCrlCommand: Command = {
  path: ['pki', 'crl'],
  summary: "Publish the issuing CA's CRL (re-sign when due)",
  usage: 'pki crl --pki DIR [--force] [--json]',
  description: `
Re-signs the issuing CA's CRL (cRLNumber + 1, next update in ${DEFAULT_CRL_DAYS} days) when
less than half of its validity remains or revoked.json is ahead of it, and
rewrites DIR/ca/crl.pem (the root CRL from ca/root-crl.pem, then the issuing
CA's) when anything changed. A running center does this by itself; use it
from a timer when no center runs, or after copying a new root CRL.
Brokers must then reload ca/crl.pem (Mosquitto: SIGHUP).

--pki     the PKI directory
--force   re-sign now; also rebuilds a missing crl.pem from revoked.json
--json    print one JSON object

Exit codes: 0 done (also when nothing was due), 1 no CA or invalid state
(a tampered revoked.json), 2 usage, ${LOCK_NOTE}.`,
  options: {
    pki: { type: 'string', arg: 'DIR', description: 'The PKI directory' },
    force: { type: 'boolean', description: 'Re-sign even if the CRL is fresh' },
    json: { type: 'boolean', description: 'Print one JSON object' },
  },
  run: pkiRun(async (ctx, opts) => {
    const dir = requiredString(opts, 'pki');
    const r = await publishCrl(dir, { random: cryptoRandom, clock: ctx.clock, force: opts.force === true });
    const path = caLayout(dir).crl;
    const nextUpdate = r.nextUpdate.toISOString();
    return {
      json: { republished: r.republished, number: r.number, nextUpdate, path },
      text: [r.republished ? `CRL number ${r.number} published in ${path}, next update ${nextUpdate}` : `CRL number ${r.number} is current (next update ${nextUpdate}); nothing to do`],
    };
  }),
};

export const pkiRevokeCommand: Command = {
  path: ['pki', 'revoke'],
  summary: "Put a certificate on the issuing CA's CRL",
  usage: 'pki revoke --pki DIR --serial HEX [--reason R] [--json]',
  description: `
Adds the certificate serial to DIR/ca/revoked.json and re-signs the CRL in
DIR/ca/crl.pem at once (idempotent: a serial already listed changes
nothing). This is the CA's half only: to revoke a kiosk, use 'cardline
center kiosks revoke', which also sets its status and kicks it from the
broker. Brokers must reload ca/crl.pem (the embedded broker does).

--pki     the PKI directory
--serial  the certificate's serial, hex (colons allowed)
--reason  ${REVOCATION_REASONS.join(' | ')} (default privilegeWithdrawn)
--json    print one JSON object

Exit codes: 0 revoked (or already revoked), 1 no CA or invalid state,
2 usage (a bad serial or reason), ${LOCK_NOTE}.`,
  options: {
    pki: { type: 'string', arg: 'DIR', description: 'The PKI directory' },
    serial: { type: 'string', arg: 'HEX', description: 'Serial of the certificate to revoke' },
    reason: { type: 'string', arg: 'REASON', description: 'Revocation reason' },
    json: { type: 'boolean', description: 'Print one JSON object' },
  },
  run: pkiRun(async (ctx, opts) => {
    const dir = requiredString(opts, 'pki');
    const serial = serialOption(opts, 'serial');
    const reason = reasonOption(opts, 'privilegeWithdrawn');
    const r = await revokeSerials(dir, [{ serial, reason }], { random: cryptoRandom, clock: ctx.clock });
    const added = r.added.includes(serial);
    ctx.logger.info('certificate revoked', { serial, added });
    return {
      json: { serial, reason, added, path: caLayout(dir).crl },
      text: [added ? `revoked ${serial} (${reason}); CRL re-signed in ${caLayout(dir).crl}` : `${serial} was already revoked; nothing changed`],
    };
  }),
};

export const pkiStatusCommand: Command = {
  path: ['pki', 'status'],
  summary: 'Validity of the root and issuing CA and of their CRLs',
  usage: 'pki status --pki DIR [--json]',
  description: `
Prints both CAs' subjects, serials and validity, the CRLs brokers load
(cRLNumber, next update, entries), how many certificates revoked.json
lists, and whether a revocation is still unpublished. Every file is
checked (signatures included).

--pki     the PKI directory
--json    print one JSON object

Exit codes: 0 all valid, 1 a CA or a CRL has expired (an expired CRL locks
every client out), no CA, or invalid state, 2 usage.`,
  options: {
    pki: { type: 'string', arg: 'DIR', description: 'The PKI directory' },
    json: { type: 'boolean', description: 'Print one JSON object' },
  },
  run: pkiRun(async (ctx, opts) => {
    const s = await pkiStatus(requiredString(opts, 'pki'), ctx.clock);
    const crl = (name: string, c: CrlStatus): string =>
      `${name} number ${c.number}, ${c.entries} entr${c.entries === 1 ? 'y' : 'ies'}, next update ${c.nextUpdate}${c.expired ? '  EXPIRED' : c.dueForResign ? '  (due for re-signing)' : ''}`;
    return {
      code: s.expired ? 1 : 0,
      json: { status: s },
      text: [
        `root     ${s.root.subject.replace(/\n/g, ', ')}  serial ${s.root.serial}  until ${s.root.notAfter}${s.root.expired ? '  EXPIRED' : ''}`,
        `issuing  ${s.issuing.subject.replace(/\n/g, ', ')}  serial ${s.issuing.serial}  until ${s.issuing.notAfter}${s.issuing.expired ? '  EXPIRED' : ''}`,
        crl('root CRL   ', s.rootCrl),
        crl('issuing CRL', s.issuingCrl),
        `revoked  ${s.revoked} certificate(s)${s.unpublished ? "; revoked.json is ahead of the CRL: run 'cardline pki crl'" : ''}`,
        ...s.warnings.map((w) => `warning  ${w}`),
      ],
    };
  }),
};

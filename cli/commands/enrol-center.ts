/**
 * `cardline center --enrol [HOST:]PORT`: the enrolment endpoint
 * (center/enrol/server.ts) beside the running center, over the center's
 * store, audit log and keys, certifying with the issuing CA of the PKI
 * directory (enrol-issuer.ts). HTTPS always: with the broker's server
 * certificate and key from the PKI directory, or --enrol-cert/--enrol-key
 * (the key read as a secret: refused when open to group or others).
 * Loopback unless a host is given.
 */
import { join } from 'node:path';
import type { RunningCenter } from '../../center/center.js';
import { startEnrolServer, type RunningEnrolServer } from '../../center/enrol/server.js';
import { UsageError, type CommandContext, type OptionSpec, type ParsedOptions } from '../command.js';
import { cryptoRandom } from '../random.js';
import { pkiEnrolIssuer } from './enrol-issuer.js';
import { readPemOption } from '../center/pem-option.js';

export const ENROL_CENTER_OPTIONS: Record<string, OptionSpec> = {
  enrol: { type: 'string', arg: '[HOST:]PORT', description: 'Serve the kiosks\' enrolment endpoint here, HTTPS (loopback unless HOST is given; PORT 0: a free one)' },
  'enrol-cert': { type: 'string', arg: 'FILE', description: "The enrolment endpoint's certificate chain (PEM; default the broker's)" },
  'enrol-key': { type: 'string', arg: 'FILE', description: "The enrolment endpoint's private key (PEM; default the broker's)" },
};

export interface EnrolAt {
  host: string;
  port: number;
  tls: { cert: string; key: string };
}

/** `--enrol` decoded and its TLS material read (before the center starts: a bad file fails fast), or undefined without it. */
export async function enrolOptions(opts: ParsedOptions, pkiDir: string): Promise<EnrolAt | undefined> {
  const v = opts.enrol;
  const cert = opts['enrol-cert'];
  const key = opts['enrol-key'];
  if (typeof v !== 'string') {
    if (cert !== undefined || key !== undefined) throw new UsageError('--enrol-cert and --enrol-key go with --enrol');
    return undefined;
  }
  const m = /^(?:(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+):)?(\d{1,5})$/.exec(v);
  if (!m || Number(m[2]) > 65535) throw new UsageError('--enrol must be PORT or HOST:PORT (port 0..65535)');
  if ((typeof cert === 'string') !== (typeof key === 'string')) throw new UsageError('give both --enrol-cert and --enrol-key, or neither (the broker\'s)');
  const tls = {
    cert: await readPemOption('--enrol-cert', typeof cert === 'string' ? cert : join(pkiDir, 'broker', 'tls.crt'), false),
    key: await readPemOption('--enrol-key', typeof key === 'string' ? key : join(pkiDir, 'broker', 'tls.key'), true),
  };
  return { host: (m[1] ?? '127.0.0.1').replace(/^\[(.*)\]$/, '$1'), port: Number(m[2]), tls };
}

export function startCenterEnrolment(center: RunningCenter, at: EnrolAt, pkiDir: string, ctx: CommandContext): Promise<RunningEnrolServer> {
  const d = center.deps;
  return startEnrolServer({ db: d.db, audit: d.audit, clock: d.clock, logger: d.logger, keys: d.keys, issuer: pkiEnrolIssuer(pkiDir, { random: cryptoRandom, clock: ctx.clock }), host: at.host, port: at.port, tls: at.tls });
}

/** `cardline kiosk enrol`: a new kiosk's identity from the center's enrolment endpoint (docs/provisioning.md §2). */
import { X509Certificate } from 'node:crypto';
import { KeyFileError, readPemFile } from '../../common/key-files.js';
import { decodeKeyStoreConfig } from '../../kiosk/config.js';
import { centerUrl } from '../../kiosk/enrol/client.js';
import { enrolKiosk } from '../../kiosk/enrol/enrol.js';
import { isEnrolClientError } from '../../kiosk/enrol/errors.js';
import { readTokenFile } from '../../kiosk/enrol/token-file.js';
import { ID_PATTERN } from '../../wire/messages.js';
import { nodeExec, type Exec } from '../../kiosk/keystore/exec.js';
import { UsageError, type Command, type CommandContext, type ParsedOptions } from '../command.js';
import { cryptoRandom } from '../random.js';
import { enrolOutput } from './enrol-output.js';
import { keyStoreOf, keyStoreOptions } from './keystore-options.js';

export interface KioskEnrolDeps {
  /** Runs tpm2-tools and openssl (default node:child_process). */
  exec?: Exec;
  random?: (n: number) => Uint8Array;
}

const str = (opts: ParsedOptions, name: string): string | undefined => (typeof opts[name] === 'string' && opts[name] !== '' ? opts[name] : undefined);

function required(opts: ParsedOptions, name: string): string {
  const v = str(opts, name);
  if (v === undefined) throw new UsageError(`--${name} is required`);
  return v;
}

/** The value, or the enrolment client's OPTION_INVALID as a usage error. */
function usage<T>(f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (isEnrolClientError(e, 'OPTION_INVALID')) throw new UsageError(e.detail);
    throw e;
  }
}

/** --ca: a readable PEM file whose (first) certificate parses; a usage error otherwise. */
async function readCa(file: string): Promise<string> {
  let pem: string;
  try {
    pem = await readPemFile(file, { secret: false });
  } catch (e) {
    if (e instanceof KeyFileError) throw new UsageError(`--ca: ${e.message}`);
    throw e;
  }
  try {
    new X509Certificate(pem);
  } catch {
    throw new UsageError(`--ca: ${file} is not an X.509 certificate (PEM)`);
  }
  return pem;
}

export function makeKioskEnrolCommand(deps: KioskEnrolDeps = {}): Command {
  return {
    path: ['kiosk', 'enrol'],
    summary: "Enrol a new kiosk at the center: keys born in its key store, its certificate and signed registry fetched with a one-time token",
    usage: 'kiosk enrol --center https://HOST:PORT --ca FILE --kiosk ID --token-file FILE --identity DIR --key-store sealed-file --machine-secret FILE | --key-store tpm [--tpm-tcti TCTI] [--tpm-pcrs SEL] [--tpm-dir DIR] [--json]',
    description: `
Claim-style enrolment (docs/provisioning.md §2). The key store generates
the kiosk's keys — Ed25519 signing, X25519 sealing and the P-256 TLS key
(with --key-store tpm the TLS key is created IN the TPM and never leaves
it; the other two are sealed to the PCR policy) — and a certificate request
with CN = --kiosk. The request, the public keys and a proof signed with the
signing key go to the center's enrolment endpoint (POST /v1/enrol) with the
token from --token-file (a file private to its owner: mode 0600 or 0400).
The center's certificate must chain to --ca (the fleet root) and name the
host of --center.

On success the identity directory holds what 'cardline kiosk --identity
DIR' needs: tls.crt (the certificate chain), ca.crt, center-signing.pub,
signing.pub, sealing.pub and registry.json (the signed reader registry),
besides the key store (keys.sealed, or tpm/). A directory that already
holds a key store or any of these files is refused (EXISTS).

If it fails before the request reached the center, or the center refused
it, everything this run wrote is removed. If it fails after that (no
answer in time, a lost connection, an answer refused, e.g. by a clock far
behind), the center may already have enrolled the kiosk: the key store
and the request (enrol.pending, public) are kept, and running the same
command again, with the same token while it lasts, sends the same request,
which the center answers again.

--key-store sealed-file: <identity>/keys.sealed (--key-file), under the
machine secret --machine-secret (which must exist: 16..4096 bytes, 0600),
scrypt N = 2^--scrypt-log-n (default 17).

Exit codes: 0 enrolled, 1 refused (the center's code: token-refused,
kiosk-exists, csr-invalid, …; or EXISTS, TOKEN_FILE_INVALID,
CENTER_UNTRUSTED, ANSWER_INVALID, WRITE_FAILED), 2 usage (also a --center
that is not https://HOST:PORT, a bad --kiosk ID, a --ca that is not a
readable PEM certificate), 3 the center
is unreachable or busy: retry later with the same token while it lasts.`,
    options: {
      center: { type: 'string', arg: 'URL', description: "The center's enrolment endpoint, https://HOST:PORT" },
      ca: { type: 'string', arg: 'FILE', description: 'The fleet root certificate (PEM): the center must chain to it' },
      kiosk: { type: 'string', arg: 'ID', description: 'The kiosk ID the token was made for' },
      'token-file': { type: 'string', arg: 'FILE', description: 'The one-time enrolment token (mode 0600)' },
      identity: { type: 'string', arg: 'DIR', description: "The new kiosk's identity directory (created if missing)" },
      ...keyStoreOptions,
      'key-store': { type: 'string', arg: 'KIND', description: 'Where the keys are born: sealed-file or tpm (required)' },
      'scrypt-log-n': { type: 'string', arg: 'N', description: 'sealed-file: scrypt cost log2(N), 14..22 (default 17)' },
      json: { type: 'boolean', description: 'One JSON object on stdout (errors too: { ok: false, error: { code, message } })' },
    },
    run: (ctx, opts) => runEnrol(ctx, opts, deps),
  };
}

async function runEnrol(ctx: CommandContext, opts: ParsedOptions, deps: KioskEnrolDeps): Promise<number> {
  const center = required(opts, 'center');
  const caFile = required(opts, 'ca');
  const kioskId = required(opts, 'kiosk');
  const tokenFile = required(opts, 'token-file');
  const identityDir = required(opts, 'identity');
  required(opts, 'key-store');
  const keyStore = decodeKeyStoreConfig(keyStoreOf(opts));
  const logN = str(opts, 'scrypt-log-n');
  if (logN !== undefined && (keyStore.kind !== 'sealed-file' || !/^(1[4-9]|2[0-2])$/.test(logN))) throw new UsageError('--scrypt-log-n is 14..22, for --key-store sealed-file');
  // Bad option values are usage errors (exit 2, docs/provisioning.md §7), found before anything is made.
  const url = usage(() => centerUrl(center));
  if (!ID_PATTERN.test(kioskId)) throw new UsageError('--kiosk: 1..64 of [A-Za-z0-9._-]');
  const caPem = await readCa(caFile);
  return enrolOutput(ctx, 'kiosk enrol', opts.json === true, async () => {
    const token = await readTokenFile(tokenFile);
    const r = await enrolKiosk(
      { center: url, caPem, kioskId, token, identityDir, keyStore, ...(logN !== undefined ? { scrypt: { logN: Number(logN), r: 8, p: 1 } } : {}) },
      { random: deps.random ?? cryptoRandom, clock: ctx.clock, logger: ctx.logger, exec: deps.exec ?? nodeExec, env: ctx.env },
    );
    const text = [
      `kiosk ${r.kioskId} enrolled`,
      `identity           ${r.identityDir}`,
      `key store          ${r.keyStore.kind} ${r.keyStore.location}`,
      `certificate        ${r.certificate.fingerprint} (serial ${r.certificate.serial}, until ${r.certificate.notAfter})`,
      `signing key        ${r.signingPublicKey}`,
      `sealing key        ${r.sealingPublicKey}`,
      `reader registry    version ${r.registryVersion}`,
    ].join('\n');
    return { text: `${text}\n`, json: { ...r } };
  });
}

export const kioskEnrolCommand = makeKioskEnrolCommand();

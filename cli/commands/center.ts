/** `cardline center`: runs the issuing center (embedded broker or a bridge to an external one, and the store), and its console, until SIGINT/SIGTERM. */
import { consoleDepsOf } from '../../center/console/deps.js';
import { isLoopback, startConsole, type RunningConsole } from '../../center/console/server.js';
import { startCenter } from '../../center/center.js';
import type { RunningEnrolServer } from '../../center/enrol/server.js';
import { UsageError, type Command, type CommandContext, type ParsedOptions } from '../command.js';
import { cryptoRandom, pkiDir, storeLocation, STORE_OPTIONS } from '../center/store-option.js';
import { ENROL_CENTER_OPTIONS, enrolOptions, startCenterEnrolment } from './enrol-center.js';
import { pkiFleetCa } from './fleet-ca.js';
import { readPemOption } from '../center/pem-option.js';
import { brokerOption } from '../center/broker-option.js';

export const centerCommand: Command = {
  path: ['center'],
  summary: 'Run the card-issuing center: embedded MQTT broker (mutual TLS) or a bridge to an external Mosquitto; optionally its console',
  usage: 'center --pki DIR (--data DIR | --database URL) [--host 127.0.0.1 --port 8883 | --broker mqtts://HOST:PORT [--broker-pid-file FILE] [--worker NAME]] [--console [HOST:]PORT [--console-cert FILE --console-key FILE] [--console-name NAME]] [--enrol [HOST:]PORT [--enrol-cert FILE --enrol-key FILE]]',
  description: `
Starts the embedded MQTT broker (Aedes, MQTT 3.1.1) with mutual TLS on
--host:--port (loopback by default), opens the store (PGlite in --data, or
PostgreSQL at --database; migrations run first) and handles every kiosk's
messages until SIGINT or SIGTERM. Logs are JSON lines on stderr; one line
on stdout says where it listens.

--broker mqtts://HOST:PORT runs no broker: the center bridges to an
external Mosquitto 2 configured by 'cardline broker config' (mutual TLS
with center/tls.crt, the dynamic-security plugin; docs/mosquitto.md),
shares kiosk/+/up with the other workers ($share/center), keeps the
plugin's kiosk clients and roles in line with the registry, and kicks a
revoked kiosk through the plugin. --broker-pid-file names mosquitto's
pid_file: the center sends it SIGHUP to reload the CRL (without it, a
warning; reload it yourself). --worker names this process among the
workers (client ID cardline-center-NAME-PID; default main). --host and
--port are for the embedded broker only. The stdout line then names the
external broker.

--console serves the center console (docs/screens.md) on [HOST:]PORT,
127.0.0.1 unless a host is given. A host other than loopback needs
--console-cert and --console-key (PEM; the key file must be private to its
owner, mode 0600 or 0400): the console is then HTTPS only.
Browsers must reach it by its address or by --console-name (the name in
its certificate): any other Host header is refused (DNS rebinding).
Accounts: 'cardline center operators add'. A second stdout line says
where the console is.

--enrol serves the kiosks' enrolment endpoint (POST /v1/enrol, HTTPS,
docs/provisioning.md §2) on [HOST:]PORT, 127.0.0.1 unless a host is given,
with the broker's certificate and key unless --enrol-cert/--enrol-key. It
certifies with the issuing CA of --pki and stops with the center. Tokens:
'cardline center enrol-token'. A stdout line says where it is.

Register kiosks, readers and applications with 'cardline center kiosks add',
'cardline center readers add|remove' and 'cardline center applications add'.`,
  options: {
    ...STORE_OPTIONS,
    host: { type: 'string', arg: 'HOST', description: 'Address the embedded broker listens on (default: 127.0.0.1)' },
    port: { type: 'string', arg: 'N', description: 'Embedded broker port, 0: a free one (default: 8883)' },
    broker: { type: 'string', arg: 'mqtts://HOST:PORT', description: 'Bridge to this external Mosquitto 2 instead of running a broker' },
    'broker-pid-file': { type: 'string', arg: 'FILE', description: "The external broker's pid file (SIGHUP reloads its CRL)" },
    worker: { type: 'string', arg: 'NAME', description: 'This worker\'s name with --broker (default: main)' },
    console: { type: 'string', arg: '[HOST:]PORT', description: 'Serve the console here (loopback unless HOST is given; PORT 0: a free one)' },
    'console-cert': { type: 'string', arg: 'FILE', description: "The console's TLS certificate chain (PEM): HTTPS" },
    'console-key': { type: 'string', arg: 'FILE', description: "The console's TLS private key (PEM)" },
    'console-name': { type: 'string', arg: 'NAME', description: 'The host name operators use for the console (accepted in the Host header)' },
    ...ENROL_CENTER_OPTIONS,
  },
  run: async (ctx: CommandContext, opts: ParsedOptions): Promise<number> => {
    const broker = brokerOption(opts);
    const consoleAt = consoleOptions(opts);
    const tls = consoleAt ? await consoleTls(opts) : undefined;
    const enrolAt = await enrolOptions(opts, pkiDir(opts));
    const center = await startCenter({ pkiDir: pkiDir(opts), store: storeLocation(opts), broker, clock: ctx.clock, logger: ctx.logger, random: cryptoRandom, fleetCa: pkiFleetCa });
    let running: RunningConsole | undefined;
    let enrolment: RunningEnrolServer | undefined;
    try {
      ctx.out(`center listening on ${center.url}\n`);
      if (consoleAt) {
        const publicName = typeof opts['console-name'] === 'string' ? opts['console-name'] : undefined;
        running = await startConsole({ deps: consoleDepsOf(center.deps), host: consoleAt.host, port: consoleAt.port, ...(tls ? { tls } : {}), ...(publicName ? { publicName } : {}) });
        ctx.out(`console on ${running.url}\n`);
      }
      if (enrolAt) {
        enrolment = await startCenterEnrolment(center, enrolAt, pkiDir(opts), ctx);
        ctx.out(`enrolment on ${enrolment.url}\n`);
      }
      if (!ctx.signal.aborted) await new Promise<void>((resolve) => ctx.signal.addEventListener('abort', () => resolve(), { once: true }));
    } finally {
      await enrolment?.close();
      await running?.close();
      await center.stop();
    }
    return 0;
  },
};

/** `--console [HOST:]PORT` decoded (IPv6 hosts in brackets), or undefined without it. Non-loopback needs TLS. */
export function consoleOptions(opts: ParsedOptions): { host: string; port: number } | undefined {
  const v = opts.console;
  const hasTls = typeof opts['console-cert'] === 'string' || typeof opts['console-key'] === 'string';
  if (typeof opts['console-name'] === 'string' && !/^[A-Za-z0-9.-]{1,253}$/.test(opts['console-name'])) throw new UsageError('--console-name must be a host name');
  if (typeof v !== 'string') {
    if (hasTls || typeof opts['console-name'] === 'string') throw new UsageError('--console-cert, --console-key and --console-name go with --console');
    return undefined;
  }
  const m = /^(?:(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+):)?(\d{1,5})$/.exec(v);
  if (!m) throw new UsageError('--console must be PORT or HOST:PORT');
  const port = Number(m[2]);
  if (port > 65535) throw new UsageError('--console port must be 0..65535');
  const host = (m[1] ?? '127.0.0.1').replace(/^\[(.*)\]$/, '$1');
  if (!isLoopback(host) && !(typeof opts['console-cert'] === 'string' && typeof opts['console-key'] === 'string')) {
    throw new UsageError(`--console on ${host} (not loopback) needs --console-cert and --console-key (HTTPS)`);
  }
  return { host, port };
}

/**
 * The console's certificate chain and key, read with common/key-files.ts's
 * checks (a regular file, bounded, a PEM block); the key is a secret: open
 * to group or others, it is refused (CONFIG_INVALID naming the file and its
 * mode, never its content).
 */
export async function consoleTls(opts: ParsedOptions): Promise<{ cert: string; key: string } | undefined> {
  const cert = opts['console-cert'];
  const key = opts['console-key'];
  if (cert === undefined && key === undefined) return undefined;
  if (typeof cert !== 'string' || typeof key !== 'string') throw new UsageError('give both --console-cert and --console-key');
  return { cert: await readPemOption('--console-cert', cert, false), key: await readPemOption('--console-key', key, true) };
}

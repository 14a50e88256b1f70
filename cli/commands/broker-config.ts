/**
 * `cardline broker config`: the site broker's mosquitto.conf and
 * dynamic-security.json from the PKI directory and the center's registry
 * (center/broker/mosquitto/, docs/mosquitto.md). Output and exit codes of
 * the fleet commands (fleet-output.ts): 0 written, 1 refused (an invalid
 * value, an unreadable certificate, the store), 2 usage, 3 the store is
 * busy (PGlite held by a running center) or unreachable.
 */
import { DEFAULT_CENTER_HOST, DEFAULT_HOST, DEFAULT_MAX_KIOSKS, DEFAULT_PORT, DEFAULT_USER, generateSiteBroker } from '../../center/broker/mosquitto/index.js';
import { UsageError, type Command, type CommandContext, type ParsedOptions } from '../command.js';
import { pkiDir, storeLocation, STORE_OPTIONS } from '../center/store-option.js';
import { fleetOutput, JSON_OPTION } from './fleet-output.js';

function optionalString(opts: ParsedOptions, name: string): string | undefined {
  const v = opts[name];
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || v.length === 0) throw new UsageError(`--${name} needs a value`);
  return v;
}

function portOf(opts: ParsedOptions, name = 'port'): number | undefined {
  const v = optionalString(opts, name);
  if (v === undefined) return undefined;
  if (!/^\d{1,5}$/.test(v) || Number(v) < 1 || Number(v) > 65535) throw new UsageError(`--${name} must be 1..65535`);
  return Number(v);
}

export const brokerConfigCommand: Command = {
  path: ['broker', 'config'],
  summary: "Write the site broker's mosquitto.conf and dynamic-security.json from the PKI and the registry",
  usage: 'broker config --pki DIR (--data DIR | --database URL) --out DIR [--host 127.0.0.1] [--port 8883] [--center-host 127.0.0.1] [--center-port PORT+1] [--max-kiosks 10000] [--user mosquitto] [--persistence DIR] [--json]',
  description: `
Writes OUT/mosquitto.conf and OUT/dynamic-security.json for Mosquitto 2 with
the dynamic-security plugin (docs/mosquitto.md): two mutual-TLS listeners
with the PKI's root as the client CA, the broker's certificate and key
(PKI/broker/tls.crt, tls.key) and the CRL (PKI/ca/crl.pem): the kiosks' on
HOST:PORT, where a client's client ID is its certificate's CN (no kiosk can
take another's), and the center's on CENTER-HOST:CENTER-PORT (default
127.0.0.1, PORT + 1), where the center's workers, which share one
certificate, name their own client IDs: \`cardline center --broker
mqtts://CENTER-HOST:CENTER-PORT\`. Keep that one out of the kiosks' reach. A role for the
center (username = the CN of PKI/center/tls.crt) and one client and role per
active kiosk of the registry. Revoked and decommissioned kiosks are left
out: they get no access. The pid file and the log go to OUT, the
persistence file to --persistence (default OUT/data).

Each file is written to a temporary name and renamed. mosquitto.conf is
0644, dynamic-security.json 0600. Mosquitto started as root drops to
--user: that user must own OUT (the plugin rewrites its file there, and the
log and pid file are written there) and the persistence directory, and it
must be able to read PKI/broker/tls.key and PKI/ca/crl.pem (a SIGHUP reloads
them as that user), e.g. a group it belongs to with mode 0640 on the key.
Run again after adding, revoking or decommissioning kiosks, then restart
the broker (the plugin reads its file only at start); a running center
also keeps the plugin in step through its control topic.`,
  options: {
    ...STORE_OPTIONS,
    out: { type: 'string', arg: 'DIR', description: 'Where mosquitto.conf, dynamic-security.json, the pid file and the log go (created 0750)' },
    host: { type: 'string', arg: 'HOST', description: `Address the kiosk listener binds (default ${DEFAULT_HOST})` },
    port: { type: 'string', arg: 'N', description: `Kiosk listener port (default ${DEFAULT_PORT})` },
    'center-host': { type: 'string', arg: 'HOST', description: `Address the center listener binds (default ${DEFAULT_CENTER_HOST})` },
    'center-port': { type: 'string', arg: 'N', description: 'Center listener port (default the kiosk port + 1)' },
    'max-kiosks': { type: 'string', arg: 'N', description: `The most kiosks the fleet will have: sizes max_queued_messages so no backlog is dropped (default ${DEFAULT_MAX_KIOSKS})` },
    user: { type: 'string', arg: 'USER', description: `OS user mosquitto drops to when started as root (default ${DEFAULT_USER})` },
    persistence: { type: 'string', arg: 'DIR', description: 'Persistence directory (default OUT/data)' },
    ...JSON_OPTION,
  },
  run: async (ctx: CommandContext, opts: ParsedOptions): Promise<number> => {
    const pki = pkiDir(opts);
    const store = storeLocation(opts);
    const out = optionalString(opts, 'out');
    if (out === undefined) throw new UsageError('--out DIR is required');
    const host = optionalString(opts, 'host');
    const user = optionalString(opts, 'user');
    const persistence = optionalString(opts, 'persistence');
    const port = portOf(opts) ?? DEFAULT_PORT;
    const centerHost = optionalString(opts, 'center-host');
    const centerPort = portOf(opts, 'center-port');
    const maxKiosksArg = optionalString(opts, 'max-kiosks');
    if (maxKiosksArg !== undefined && !/^[1-9]\d{0,5}$/.test(maxKiosksArg)) throw new UsageError('--max-kiosks must be 1..999999');
    const maxKiosks = maxKiosksArg === undefined ? undefined : Number(maxKiosksArg);
    return fleetOutput(ctx, 'broker config', opts.json === true, async () => {
      const f = await generateSiteBroker(
        { pkiDir: pki, outDir: out, port, store, ...(maxKiosks !== undefined ? { maxKiosks } : {}), ...(centerHost !== undefined ? { centerHost } : {}), ...(centerPort !== undefined ? { centerPort } : {}), ...(host !== undefined ? { host } : {}), ...(user !== undefined ? { user } : {}), ...(persistence !== undefined ? { persistenceDir: persistence } : {}) },
        ctx.logger,
      );
      const kiosks = f.dynsec.clients.length - 1;
      const [center] = f.dynsec.clients;
      return {
        text: `wrote ${f.paths.conf} (kiosks on ${f.listeners.kiosk.host}:${f.listeners.kiosk.port}, the center on ${f.listeners.center.host}:${f.listeners.center.port})\nwrote ${f.paths.dynsec} (center ${center?.username ?? '?'}, ${kiosks} active kiosk${kiosks === 1 ? '' : 's'})\n`,
        json: { listeners: f.listeners, conf: f.paths.conf, dynsec: f.paths.dynsec, persistence: f.paths.persistenceDir, pidFile: f.paths.pidFile, log: f.paths.logFile, center: center?.username, kiosks: f.dynsec.clients.slice(1).map((c) => c.username) },
      };
    });
  },
};

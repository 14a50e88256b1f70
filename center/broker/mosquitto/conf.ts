/**
 * mosquitto.conf for the site broker (DESIGN §7 "Site"; docs/mosquitto.md
 * explains every line). Pure: the paths come in, the text goes out.
 *
 * Checked on Mosquitto 2.0.11 (test/integration/mosquitto/): the
 * dynamic-security plugin refuses SUBSCRIBE outside a client's roles (the
 * plain acl_file does not, DESIGN §8); `crlfile` loads every CRL block of
 * ca/crl.pem (the root's and the issuing CA's) and SIGHUP reloads it;
 * with `use_identity_as_username` the username is the certificate's CN;
 * `use_username_as_clientid` is a per-listener setting (Mosquitto 2.0
 * reads it into the listener, src/conf.c, and handle_connect.c checks
 * `context->listener->use_username_as_clientid`), so the kiosk listener
 * has it and the center listener does not.
 */
import { checkHost, checkLimit, checkPath, checkPort, checkUser } from './checks.js';
import { MosquittoConfigError } from './errors.js';

/** Where Debian/Ubuntu's mosquitto package puts the plugin. */
export const DYNSEC_PLUGIN = '/usr/lib/x86_64-linux-gnu/mosquitto_dynamic_security.so';
export const DEFAULT_USER = 'mosquitto';
/**
 * The fleet size the queues are sized for when none is given (docs/mosquitto.md "Queues").
 * Beyond `max_queued_messages` mosquitto DROPS a client's QoS 1 messages: the bound must hold
 * the whole backlog of a stalled center worker, not just protect memory.
 */
export const DEFAULT_MAX_KIOSKS = 10_000;

/**
 * max_queued_messages for a fleet of `maxKiosks`: a worker whose PUBACKs the
 * center holds (bridge-intake.ts) may be given, through the shared
 * subscription, up to 2 up messages per kiosk (kiosks speak lockstep: one
 * request, at most one retry or hello), and a worker's `-ctl` connection
 * gets every kiosk's retained state at once when it subscribes: 3 per
 * kiosk, plus 100 for dynsec answers and margin.
 */
export function queuedMessagesFor(maxKiosks: number): number {
  return 3 * checkLimit('max kiosks', maxKiosks, 1_000_000) + 100;
}

/**
 * Messages sent to a client and not yet acknowledged (mosquitto's default is
 * 20): the center's maxInFlight (center/deps.ts DEFAULT_LIMITS), so the
 * center's own gate (bridge-intake.ts) decides when to hold PUBACKs and the
 * broker queues only behind it.
 */
export const DEFAULT_MAX_INFLIGHT = 64;
/** Seconds between saves of the in-memory state (retained state messages; sessions are clean) to the persistence file. */
export const DEFAULT_AUTOSAVE_S = 60;

/** Where the center listener binds by default: the workers run next to the broker, kiosks cannot reach it. */
export const DEFAULT_CENTER_HOST = '127.0.0.1';

export interface MosquittoConfOptions {
  /** The kiosk listener (mutual TLS; a client's client ID is its certificate's CN). */
  host: string;
  port: number;
  /**
   * The center listener (mutual TLS, the same CA, CRL and certificate; the
   * client names its client ID, since every center worker has the same
   * certificate). Default: DEFAULT_CENTER_HOST, `port` + 1.
   */
  centerHost?: string;
  centerPort?: number;
  /** The trust anchor for client certificates: the PKI's root (ca/ca.crt). */
  cafile: string;
  /** The broker's certificate (leaf then issuing CA) and key. */
  certfile: string;
  keyfile: string;
  /** ca/crl.pem: the root's CRL then the issuing CA's. */
  crlfile: string;
  /** dynamic-security.json: the plugin reads it at start and rewrites it on every $CONTROL change. */
  dynsecFile: string;
  pluginPath?: string;
  /** Directory of mosquitto.db (written by the broker user). */
  persistenceDir: string;
  autosaveIntervalS?: number;
  /** The OS user mosquitto drops to when started as root. */
  user: string;
  pidFile: string;
  logFile: string;
  /** Default: queuedMessagesFor(DEFAULT_MAX_KIOSKS). */
  maxQueuedMessages?: number;
  /** Default: DEFAULT_MAX_INFLIGHT. */
  maxInflightMessages?: number;
  /**
   * Also `log_type debug`: Mosquitto 2.0.11 logs a refused PUBLISH
   * ("Denied PUBLISH from <client> (…, '<topic>', … (n bytes))", never the
   * payload) only at debug level, and a refused SUBSCRIBE not at all (only
   * granted ones, at `subscribe`). Every packet is then logged: for tests
   * and troubleshooting, not for a loaded fleet broker.
   */
  debugLog?: boolean;
}

export function mosquittoConf(o: MosquittoConfOptions): string {
  const host = checkHost(o.host);
  const port = checkPort(o.port);
  const centerHost = checkHost(o.centerHost ?? DEFAULT_CENTER_HOST);
  const centerPort = checkPort(o.centerPort ?? port + 1);
  if (centerPort === port) throw new MosquittoConfigError('INVALID_PORT', `the center listener needs another port than the kiosks' ${port}`);
  const p = (what: string, v: string): string => checkPath(what, v);
  const tls = [
    'require_certificate true',
    'use_identity_as_username true',
    `cafile ${p('cafile', o.cafile)}`,
    `certfile ${p('certfile', o.certfile)}`,
    `keyfile ${p('keyfile', o.keyfile)}`,
    `crlfile ${p('crlfile', o.crlfile)}`,
    'tls_version tlsv1.2',
  ];
  const persistence = p('persistence directory', o.persistenceDir);
  const lines = [
    '# Generated by `cardline broker config` (docs/mosquitto.md). Regenerate rather than edit:',
    '# the kiosks in dynamic-security.json come from the center\'s registry.',
    '',
    '# One security setting for the whole broker: the plugin below applies to every listener.',
    'per_listener_settings false',
    'allow_anonymous false',
    '# Every client names its client ID (kiosks: their ID; the center: cardline-center-*).',
    'allow_zero_length_clientid false',
    `user ${checkUser(o.user)}`,
    `pid_file ${p('pid file', o.pidFile)}`,
    '',
    '# Roles per kiosk and for the center; refuses SUBSCRIBE outside them (DESIGN §8).',
    `plugin ${p('plugin', o.pluginPath ?? DYNSEC_PLUGIN)}`,
    `plugin_opt_config_file ${p('dynsec file', o.dynsecFile)}`,
    '',
    '# Retained kiosk state survives a restart; sessions are clean, so no queued personal data is kept.',
    'persistence true',
    // Mosquitto 2 joins it and mosquitto.db with a '/' itself.
    `persistence_location ${persistence}`,
    `autosave_interval ${checkLimit('autosave_interval', o.autosaveIntervalS ?? DEFAULT_AUTOSAVE_S, 86_400)}`,
    '',
    '# Beyond these mosquitto drops QoS 1 messages: sized for the whole backlog of a stalled center',
    '# worker (docs/mosquitto.md "Queues"), no byte bound. The inflight window is the center\'s maxInFlight.',
    `max_queued_messages ${checkLimit('max_queued_messages', o.maxQueuedMessages ?? queuedMessagesFor(DEFAULT_MAX_KIOSKS), 10_000_000)}`,
    'max_queued_bytes 0',
    `max_inflight_messages ${checkLimit('max_inflight_messages', o.maxInflightMessages ?? DEFAULT_MAX_INFLIGHT, 65_535)}`,
    'set_tcp_nodelay true',
    '',
    `log_dest file ${p('log file', o.logFile)}`,
    ...['error', 'warning', 'notice', 'information', 'subscribe', ...(o.debugLog === true ? ['debug'] : [])].map((t) => `log_type ${t}`),
    'connection_messages true',
    'log_timestamp true',
    'log_timestamp_format %Y-%m-%dT%H:%M:%S',
    '',
    '# Mutual TLS on both listeners: a client needs a certificate the fleet root vouches for, not on',
    '# ca/crl.pem; its CN becomes its username (the kiosk ID, or the center\'s CN).',
    '# Kiosks: the client ID is the username, so no kiosk can take another\'s client ID (MQTT 3.1.1 §3.1.4).',
    `listener ${port} ${host}`,
    ...tls,
    'use_username_as_clientid true',
    '',
    '# The center\'s workers (one certificate, client IDs cardline-center-<worker>-<pid>[-ctl]): keep it',
    '# where kiosks cannot reach it; a kiosk certificate here could take a worker\'s client ID (docs/mosquitto.md).',
    `listener ${centerPort} ${centerHost}`,
    ...tls,
    '',
  ];
  return lines.join('\n');
}

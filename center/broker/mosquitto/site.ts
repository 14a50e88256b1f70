/**
 * The site broker's two files from a PKI directory (`cardline pki init`
 * layout, docs/pki.md, the same names center/keys.ts reads) and the list of
 * active kiosks: what `cardline broker config` writes and what the test
 * fixture starts mosquitto on. Pure: paths in, texts out.
 */
import { join, resolve } from 'node:path';
import { DEFAULT_CENTER_HOST, DEFAULT_MAX_KIOSKS, DEFAULT_USER, mosquittoConf, queuedMessagesFor } from './conf.js';
import { dynsecState, type DynsecState } from './dynsec.js';

export interface SiteBrokerOptions {
  pkiDir: string;
  /** Where mosquitto.conf, dynamic-security.json, the pid file and the log go. */
  outDir: string;
  /** The kiosk listener. */
  host?: string;
  port?: number;
  /** The center listener (default 127.0.0.1, `port` + 1). */
  centerHost?: string;
  centerPort?: number;
  user?: string;
  /** Default: `<outDir>/data`. */
  persistenceDir?: string;
  /** The CN of the center's certificate (center/tls.crt): its username on the broker. */
  centerUsername: string;
  /** The active kiosks' IDs. */
  kiosks: readonly string[];
  /** The most kiosks the fleet will have (default DEFAULT_MAX_KIOSKS): sizes max_queued_messages (conf.ts queuedMessagesFor). */
  maxKiosks?: number;
  /** Overrides the size derived from maxKiosks. */
  maxQueuedMessages?: number;
  autosaveIntervalS?: number;
  /** log_type debug too (conf.ts). */
  debugLog?: boolean;
}

export interface SiteBrokerFiles {
  paths: { conf: string; dynsec: string; persistenceDir: string; pidFile: string; logFile: string; keyfile: string };
  conf: string;
  dynsec: DynsecState;
  /** Where kiosks connect, and where the center's workers connect. */
  listeners: { kiosk: { host: string; port: number }; center: { host: string; port: number } };
}

export const DEFAULT_HOST = '127.0.0.1';
export const DEFAULT_PORT = 8883;

export function siteBrokerFiles(o: SiteBrokerOptions): SiteBrokerFiles {
  const pki = resolve(o.pkiDir);
  const out = resolve(o.outDir);
  const paths = {
    conf: join(out, 'mosquitto.conf'),
    dynsec: join(out, 'dynamic-security.json'),
    persistenceDir: resolve(o.persistenceDir ?? join(out, 'data')),
    pidFile: join(out, 'mosquitto.pid'),
    logFile: join(out, 'mosquitto.log'),
    keyfile: join(pki, 'broker', 'tls.key'),
  };
  const kiosk = { host: o.host ?? DEFAULT_HOST, port: o.port ?? DEFAULT_PORT };
  const center = { host: o.centerHost ?? DEFAULT_CENTER_HOST, port: o.centerPort ?? kiosk.port + 1 };
  const conf = mosquittoConf({
    ...kiosk,
    centerHost: center.host,
    centerPort: center.port,
    cafile: join(pki, 'ca', 'ca.crt'),
    certfile: join(pki, 'broker', 'tls.crt'),
    keyfile: paths.keyfile,
    crlfile: join(pki, 'ca', 'crl.pem'),
    dynsecFile: paths.dynsec,
    persistenceDir: paths.persistenceDir,
    user: o.user ?? DEFAULT_USER,
    pidFile: paths.pidFile,
    logFile: paths.logFile,
    maxQueuedMessages: o.maxQueuedMessages ?? queuedMessagesFor(o.maxKiosks ?? DEFAULT_MAX_KIOSKS),
    ...(o.autosaveIntervalS !== undefined ? { autosaveIntervalS: o.autosaveIntervalS } : {}),
    ...(o.debugLog !== undefined ? { debugLog: o.debugLog } : {}),
  });
  return { paths, conf, dynsec: dynsecState({ centerUsername: o.centerUsername, kiosks: o.kiosks }), listeners: { kiosk, center } };
}

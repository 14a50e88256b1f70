/**
 * The site broker's two files from a PKI directory (`cardline pki init`
 * layout, docs/pki.md, the same names center/keys.ts reads) and the list of
 * active kiosks: what `cardline broker config` writes and what the test
 * fixture starts mosquitto on. Pure: paths in, texts out.
 */
import { join, resolve } from 'node:path';
import { DEFAULT_USER, mosquittoConf } from './conf.js';
import { dynsecState, type DynsecState } from './dynsec.js';

export interface SiteBrokerOptions {
  pkiDir: string;
  /** Where mosquitto.conf, dynamic-security.json, the pid file and the log go. */
  outDir: string;
  host?: string;
  port?: number;
  user?: string;
  /** Default: `<outDir>/data`. */
  persistenceDir?: string;
  /** The CN of the center's certificate (center/tls.crt): its username on the broker. */
  centerUsername: string;
  /** The active kiosks' IDs. */
  kiosks: readonly string[];
  maxQueuedMessages?: number;
  autosaveIntervalS?: number;
  /** log_type debug too (conf.ts). */
  debugLog?: boolean;
}

export interface SiteBrokerFiles {
  paths: { conf: string; dynsec: string; persistenceDir: string; pidFile: string; logFile: string; keyfile: string };
  conf: string;
  dynsec: DynsecState;
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
  const conf = mosquittoConf({
    host: o.host ?? DEFAULT_HOST,
    port: o.port ?? DEFAULT_PORT,
    cafile: join(pki, 'ca', 'ca.crt'),
    certfile: join(pki, 'broker', 'tls.crt'),
    keyfile: paths.keyfile,
    crlfile: join(pki, 'ca', 'crl.pem'),
    dynsecFile: paths.dynsec,
    persistenceDir: paths.persistenceDir,
    user: o.user ?? DEFAULT_USER,
    pidFile: paths.pidFile,
    logFile: paths.logFile,
    ...(o.maxQueuedMessages !== undefined ? { maxQueuedMessages: o.maxQueuedMessages } : {}),
    ...(o.autosaveIntervalS !== undefined ? { autosaveIntervalS: o.autosaveIntervalS } : {}),
    ...(o.debugLog !== undefined ? { debugLog: o.debugLog } : {}),
  });
  return { paths, conf, dynsec: dynsecState({ centerUsername: o.centerUsername, kiosks: o.kiosks }) };
}

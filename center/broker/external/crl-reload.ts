/**
 * Has an external Mosquitto reload its CRL: mosquitto re-reads its
 * configuration, and with it `crlfile` (the PKI's ca/crl.pem, which the
 * fleet has already rewritten and checked, ../../fleet/crl.ts), on SIGHUP.
 * Clients already connected stay connected (DESIGN §8): the kick is
 * dynsec's (dynsec-control.ts); the CRL refuses the next TLS handshakes.
 *
 * Synchronous on purpose: CrlFollower calls the broker's reloadCrl without
 * awaiting it, so a failure must be thrown, not returned as a rejection.
 * The pid comes from mosquitto's `pid_file`. A stale pid file could name
 * any process: where /proc tells the process's name, one that is not
 * mosquitto is not signalled.
 */
import { readFileSync } from 'node:fs';
import type { Logger } from '../../../common/log.js';
import { BrokerError } from '../errors.js';

export interface SighupDeps {
  readFile: (path: string) => string;
  /** The process's name (/proc/<pid>/comm), undefined when the system does not tell. */
  processName: (pid: number) => string | undefined;
  kill: (pid: number, signal: NodeJS.Signals) => void;
}

const systemDeps: SighupDeps = {
  readFile: (p) => readFileSync(p, 'utf8'),
  processName: (pid) => {
    try {
      return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
    } catch {
      return undefined;
    }
  },
  kill: (pid, s) => process.kill(pid, s),
};

/** A function that makes the broker reload its CRL, or warns that nobody will (no pid file configured). */
export function crlReloader(pidFile: string | undefined, logger: Logger, deps: SighupDeps = systemDeps): () => void {
  const log = logger.child('broker');
  if (pidFile === undefined) {
    return () => log.warn('no broker pid file configured: the external broker keeps its old CRL until it is reloaded (SIGHUP) by its operator', {});
  }
  return () => {
    const pid = readPid(pidFile, deps);
    const name = deps.processName(pid);
    if (name !== undefined && name !== 'mosquitto') throw new BrokerError('PID_FILE', `${pidFile} names process ${pid}, which is ${JSON.stringify(name.slice(0, 32))}, not mosquitto: not signalled`);
    try {
      deps.kill(pid, 'SIGHUP');
    } catch (e) {
      throw new BrokerError('PID_FILE', `SIGHUP to the broker (pid ${pid} from ${pidFile}) failed: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
    }
    log.info('broker told to reload its CRL (SIGHUP)', { pid });
  };
}

function readPid(pidFile: string, deps: SighupDeps): number {
  let text: string;
  try {
    text = deps.readFile(pidFile);
  } catch (e) {
    throw new BrokerError('PID_FILE', `the broker's pid file ${pidFile} cannot be read: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
  const t = text.trim();
  const pid = /^\d{1,10}$/.test(t) ? Number(t) : NaN;
  if (!Number.isSafeInteger(pid) || pid < 2) throw new BrokerError('PID_FILE', `the broker's pid file ${pidFile} does not hold a process id`);
  return pid;
}

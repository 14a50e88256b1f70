/**
 * Is pcscd there? The binding cannot be asked: it establishes its context
 * synchronously and loops for ever while the service is absent. So before
 * creating it we connect to pcscd's socket ourselves, with a timeout.
 *
 * The socket is PCSCLITE_CSOCK_NAME when set (libpcsclite reads that
 * variable once per process, at its first context), else pcsc-lite's
 * default /run/pcscd/pcscd.comm. A system pcscd started on demand by
 * systemd socket activation answers the probe too (systemd holds the socket).
 */
import { connect } from 'node:net';
import { PcscError } from './errors.js';

export const DEFAULT_PCSCD_SOCKET = '/run/pcscd/pcscd.comm';

/** The socket libpcsclite will use in this process. */
export function pcscdSocketPath(env: NodeJS.ProcessEnv = process.env): string {
  const v = env.PCSCLITE_CSOCK_NAME;
  return v !== undefined && v !== '' ? v : DEFAULT_PCSCD_SOCKET;
}

/**
 * Resolves when something accepts connections on `path` within `timeoutMs`;
 * rejects PcscError 'NO_SERVICE' ("no PC/SC service") otherwise.
 * A real timer: this guards a wait on the outside world, not card timing.
 */
export function probePcscd(path: string, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const s = connect({ path });
    const fail = (why: string): void => {
      clearTimeout(timer);
      s.destroy();
      reject(new PcscError('NO_SERVICE', `no PC/SC service: ${why} (socket ${path}; is pcscd running?)`));
    };
    const timer = setTimeout(() => fail(`no answer within ${timeoutMs} ms`), timeoutMs);
    s.once('connect', () => {
      clearTimeout(timer);
      s.destroy();
      resolve();
    });
    s.once('error', (e: NodeJS.ErrnoException) => fail(e.code ?? 'connection failed'));
  });
}

/**
 * The real NotifyTransport: libsystemd's sd_notify(3) through the
 * `sd-notify` binding (github.com/systemd/node-sd-notify, a native addon
 * linked against libsystemd; docs/dependencies.md says why this one).
 *
 * libsystemd reads NOTIFY_SOCKET from the process environment itself (it
 * handles absolute paths and `@abstract` names, and sends from this very
 * process, so NotifyAccess=main suffices). The socket we validated must
 * therefore be the one in process.env, or we would be checking one socket
 * and sending to another. The addon is loaded only when NOTIFY_SOCKET is
 * set: outside systemd nothing native is loaded.
 */
import { createRequire } from 'node:module';
import { SystemdError } from './errors.js';
import type { NotifyTransport } from './notify.js';

/** The part of the binding we use: `sendState` calls sd_notify(0, text). Its return value is dropped by the binding. */
interface SdNotifyBinding {
  sendState(text: string): void;
}

export function loadSdNotifyTransport(socket: string, processEnv: NodeJS.ProcessEnv = process.env): NotifyTransport {
  if (processEnv.NOTIFY_SOCKET !== socket) {
    throw new SystemdError('NOTIFY_UNAVAILABLE', 'libsystemd sends to the process environment\'s NOTIFY_SOCKET, which differs from the one given');
  }
  let binding: SdNotifyBinding;
  try {
    binding = createRequire(import.meta.url)('sd-notify') as SdNotifyBinding;
  } catch (e) {
    const why = (e as { code?: unknown }).code;
    throw new SystemdError('NOTIFY_UNAVAILABLE', `NOTIFY_SOCKET is set but the sd-notify binding does not load (${typeof why === 'string' ? why : 'error'}); run scripts/deps.sh (libsystemd-dev) and npm ci`);
  }
  if (typeof binding.sendState !== 'function') throw new SystemdError('NOTIFY_UNAVAILABLE', 'the sd-notify binding has no sendState');
  return { send: (datagram) => binding.sendState(datagram) };
}

/**
 * Typed errors of the broker side of the center: the embedded broker's
 * start-up, and an external broker's control (external/). Refusals of
 * clients are not errors: they are BrokerRefusal records.
 */
export type BrokerErrorCode =
  /** The TLS material was refused by Node/OpenSSL (unreadable PEM, key not matching the certificate, bad CRL). */
  | 'TLS_CONFIG'
  /** The port could not be bound (in use, no permission, bad address). */
  | 'LISTEN'
  /** The external broker could not be reached, or refused the center (TLS, CONNACK) or its subscriptions. */
  | 'CONNECT'
  /** The dynamic-security plugin did not answer a command within its time (not loaded, the center's role lacks $CONTROL, the link is down). */
  | 'DYNSEC_TIMEOUT'
  /** The dynamic-security plugin answered a command with an error it was not expected to give. */
  | 'DYNSEC_REFUSED'
  /** The broker's pid file is missing, unreadable or does not hold a live process id (the CRL could not be reloaded). */
  | 'PID_FILE';

export class BrokerError extends Error {
  override readonly name = 'BrokerError';
  constructor(
    readonly code: BrokerErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export function isBrokerError(e: unknown, code?: BrokerErrorCode): e is BrokerError {
  return e instanceof BrokerError && (code === undefined || e.code === code);
}

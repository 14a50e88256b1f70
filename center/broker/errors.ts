/** Typed errors of the embedded broker's start-up. Refusals of clients are not errors: they are BrokerRefusal records. */
export type BrokerErrorCode =
  /** The TLS material was refused by Node/OpenSSL (unreadable PEM, key not matching the certificate, bad CRL). */
  | 'TLS_CONFIG'
  /** The port could not be bound (in use, no permission, bad address). */
  | 'LISTEN';

export class BrokerError extends Error {
  override readonly name = 'BrokerError';
  constructor(
    readonly code: BrokerErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** Typed errors of the site-broker generator: an input it refuses to write into mosquitto's files. */
export type MosquittoConfigErrorCode =
  /** A kiosk ID outside the wire's pattern or in the reserved `cardline-` names (acl.ts isKioskId). */
  | 'INVALID_KIOSK_ID'
  /** The center's username (its certificate's CN) is empty, too long, has control characters or MQTT wildcards. */
  | 'INVALID_CENTER_NAME'
  /** A listener port outside 1..65535. */
  | 'INVALID_PORT'
  /** A listener host that is not a hostname or an IP address. */
  | 'INVALID_HOST'
  /** The OS user mosquitto drops to is not a plain POSIX user name. */
  | 'INVALID_USER'
  /** A path that is not absolute or that mosquitto's config parser would split (whitespace, control characters, '#'). */
  | 'INVALID_PATH'
  /** A bound (queue length, autosave interval) that is not a positive integer in range. */
  | 'INVALID_LIMIT'
  /** The same kiosk twice, or a kiosk named like the center. */
  | 'DUPLICATE_CLIENT';

export class MosquittoConfigError extends Error {
  override readonly name = 'MosquittoConfigError';
  constructor(
    readonly code: MosquittoConfigErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The screen server's typed errors. Refusals of an HTTP request carry the
 * lower-case code the page sees (`{ "error": code, "message" }`, the
 * contract in docs/screens.md) and map to their status in exactly one place
 * (`statusOf`, used by http.ts). Start-up errors (bind address, PIN file)
 * never reach HTTP: `cardline kiosk` prints them and exits.
 */

/** Refusals of a request, with their HTTP status. */
export const HTTP_STATUS = {
  'host-refused': 421,
  origin: 403,
  'unsupported-media-type': 415,
  'too-large': 413,
  'bad-json': 400,
  'application-invalid': 400,
  'code-invalid': 400,
  busy: 409,
  'not-found': 404,
  'method-not-allowed': 405,
  'bad-pin': 401,
  unauthenticated: 401,
  locked: 429,
  'operator-disabled': 404,
  'too-many-streams': 503,
  internal: 500,
} as const;

export type ScreenHttpCode = keyof typeof HTTP_STATUS;

/** Errors at start: a bind address that is not loopback, a PIN file that is unreadable or not a scrypt hash, a bad option. */
export type ScreenStartCode = 'BIND_REFUSED' | 'PIN_FILE_INVALID' | 'CONFIG_INVALID';

export type ScreenErrorCode = ScreenHttpCode | ScreenStartCode;

export class ScreenError extends Error {
  override readonly name = 'ScreenError';
  constructor(
    readonly code: ScreenErrorCode,
    message: string,
    /** Seconds the client should wait (a locked PIN: `Retry-After`). */
    readonly retryAfterS?: number,
  ) {
    super(message);
  }
}

export function isScreenError(e: unknown, code?: ScreenErrorCode): e is ScreenError {
  return e instanceof ScreenError && (code === undefined || e.code === code);
}

/** The HTTP status of a refusal; 500 for anything that is not one (a start code never gets here). */
export function statusOf(code: ScreenErrorCode): number {
  return Object.hasOwn(HTTP_STATUS, code) ? HTTP_STATUS[code as ScreenHttpCode] : 500;
}

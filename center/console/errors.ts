/**
 * The console's typed errors (docs/screens.md "The center console"). Each
 * code has one HTTP status, mapped here and nowhere else; the browser gets
 * `{ error: code, message }`. Messages never carry a password, a token or a
 * request body.
 */
export const CONSOLE_ERROR_STATUS = {
  /** A malformed body or query (the message names the field). */
  'bad-request': 400,
  /** Unknown user, wrong password, disabled or locked account: one answer for all (the audit log has the reason). */
  'bad-credentials': 401,
  /** No session, or it ended (idle, 8 hours, logout, account disabled). */
  unauthenticated: 401,
  /** A write without the session's CSRF token in X-CSRF-Token. */
  csrf: 403,
  /** A write whose Origin is not the server's own. */
  origin: 403,
  /** The session's role does not allow the route. */
  forbidden: 403,
  'not-found': 404,
  'method-not-allowed': 405,
  /** The target is not in a state that allows the action (a final job, a revoked kiosk, an existing application). */
  conflict: 409,
  'too-large': 413,
  'unsupported-media-type': 415,
  /** The Host header names another server (DNS rebinding). */
  'host-refused': 421,
  /** Too many logins being checked or feeds open at once. */
  busy: 503,
  internal: 500,
} as const;

export type ConsoleErrorCode = keyof typeof CONSOLE_ERROR_STATUS;

export class ConsoleError extends Error {
  override readonly name = 'ConsoleError';
  readonly status: number;
  constructor(
    readonly code: ConsoleErrorCode,
    message: string,
  ) {
    super(message);
    this.status = CONSOLE_ERROR_STATUS[code];
  }
}

export function isConsoleError(e: unknown, code?: ConsoleErrorCode): e is ConsoleError {
  return e instanceof ConsoleError && (code === undefined || e.code === code);
}

/**
 * The console's one mapping from the center's typed errors to its HTTP
 * answers (STYLE.md: errors mapped at exactly one place per boundary).
 * Messages of CenterError name fields, never values (application-input.ts),
 * so they may be shown; anything unexpected becomes `internal` with a
 * generic message (and is logged by the server with its code).
 */
import { ScriptError } from '../../card/script/errors.js';
import { isHttpGuardError } from '../../common/http-guard.js';
import { isCenterError } from '../errors.js';
import { ConsoleError } from './errors.js';

export function toConsoleError(e: unknown): ConsoleError {
  if (e instanceof ConsoleError) return e;
  // The common rules' refusals (common/http-guard.ts): the same codes and statuses here.
  if (isHttpGuardError(e)) return new ConsoleError(e.code, e.message);
  if (isCenterError(e)) {
    const message = e.message.replace(/^[A-Z_]+: /, '');
    switch (e.code) {
      case 'APPLICATION_INVALID':
        return new ConsoleError('bad-request', message);
      case 'APPLICATION_EXISTS':
      case 'JOB_CONFLICT':
      case 'JOB_MOVE_INVALID':
      case 'KIOSK_UNCHANGED':
        return new ConsoleError('conflict', message);
      case 'KIOSK_UNKNOWN':
        return new ConsoleError('not-found', message);
      default:
        return new ConsoleError('internal', 'the center could not do that');
    }
  }
  if (e instanceof ScriptError && e.code === 'UNKNOWN_PROFILE') return new ConsoleError('bad-request', 'profile: no such card profile');
  return new ConsoleError('internal', 'the center could not do that');
}

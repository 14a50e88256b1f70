/**
 * A customer's request as the page posts it, checked with the wire's own
 * rules (wire/messages.ts `requestSchema`) before the agent sees it: a
 * malformed ID or code is refused here, at the boundary, with its own code
 * ('application-invalid', 'code-invalid'), and never reaches the center.
 * The refusal names the field, never its value.
 */
import { requestSchema } from '../../wire/messages.js';
import { ScreenError } from './errors.js';

export interface CustomerRequest {
  application: string;
  code: string;
}

export function checkRequest(body: Record<string, unknown>): CustomerRequest {
  const extra = Object.keys(body).filter((k) => k !== 'application' && k !== 'code');
  if (extra.length > 0) throw new ScreenError('bad-json', 'the body has fields other than application and code');
  const r = requestSchema.safeParse(body);
  if (r.success) return r.data;
  const field = r.error.issues[0]?.path[0];
  if (field === 'code') throw new ScreenError('code-invalid', 'the one-time code is 4 to 32 letters or digits');
  throw new ScreenError('application-invalid', 'the application ID is 1 to 64 letters, digits, dots, dashes or underscores');
}

/**
 * Message types and bodies (messages.ts), checked after the envelope
 * (envelope.ts). The type must be one of the direction's types; the body
 * must pass that type's strict schema. A refusal names the failing field
 * path and the kind of failure, never the value: it may be a one-time code.
 */
import type { z } from 'zod';
import type { Envelope } from './envelope.js';
import { WireError, issueList } from './errors.js';
import { DOWN_SCHEMAS, UP_SCHEMAS, type DownMessage, type UpMessage } from './messages.js';

/** A kiosk → center message: type in UP_SCHEMAS, body valid. */
export function decodeUp(env: Envelope<unknown>): UpMessage {
  return decode(env, 'kiosk', UP_SCHEMAS) as UpMessage;
}

/** A center → kiosk message: type in DOWN_SCHEMAS, body valid. */
export function decodeDown(env: Envelope<unknown>): DownMessage {
  return decode(env, 'center', DOWN_SCHEMAS) as DownMessage;
}

function decode(env: Envelope<unknown>, from: Envelope['from'], schemas: Readonly<Record<string, z.ZodType>>): { type: string; body: unknown } {
  // Defence in depth: openEnvelope already tied the sender to the topic's direction.
  if (env.from !== from) throw new WireError('wrong-address', `a ${env.from} envelope is not a ${from} message`);
  // Own properties only: 'constructor' or 'toString' must not find Object.prototype.
  const schema = Object.hasOwn(schemas, env.type) ? schemas[env.type] : undefined;
  if (schema === undefined) throw new WireError('unknown-type', `no ${from} message type of ${env.type.length} characters by that name`);
  const body = schema.safeParse(env.body);
  if (!body.success) throw new WireError('malformed', `${env.type} body: ${issueList(body.error)}`);
  return { type: env.type, body: body.data };
}

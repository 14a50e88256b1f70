/**
 * The JSON an operator feeds to `cardline center applications add`: one
 * application, or an array of them. Validated here, once, with limits.
 *
 *   { "id": "APP-0001", "code": "483920", "profile": "cardline-basic",
 *     "expires": "2027-01-31T00:00:00Z",            (optional)
 *     "dgis": [ { "tag": "0101", "value": "70…" }, … ] }
 */
import { z } from 'zod';
import { hex } from '../card/bytes.js';
import type { Dgi } from '../card/dgi.js';
import { ID_PATTERN } from '../wire/messages.js';
import { CenterError } from './errors.js';

const dgiInput = z.strictObject({
  tag: z.string().regex(/^[0-9A-Fa-f]{4}$/, 'tag: 4 hex digits'),
  value: z
    .string()
    .regex(/^(?:[0-9A-Fa-f]{2})+$/, 'value: hex bytes')
    .max(2 * 4096),
});

export const applicationInputSchema = z.strictObject({
  id: z.string().regex(ID_PATTERN, 'id: 1..64 of [A-Za-z0-9._-]'),
  code: z.string().regex(/^[A-Za-z0-9]{6,32}$/, 'code: 6..32 letters or digits'),
  profile: z.string().regex(/^[a-z0-9-]{1,32}$/),
  expires: z.iso.datetime({ offset: true }).optional(),
  dgis: z.array(dgiInput).min(1).max(64),
});

export interface ApplicationInput {
  id: string;
  code: string;
  profile: string;
  expires?: Date;
  dgis: Dgi[];
}

const MAX_INPUT_BYTES = 4 * 1024 * 1024;

/** Parses operator JSON text into applications. Messages name the field, never its value. */
export function parseApplicationsJson(text: string): ApplicationInput[] {
  if (text.length > MAX_INPUT_BYTES) throw new CenterError('APPLICATION_INVALID', `input of ${text.length} bytes (limit ${MAX_INPUT_BYTES})`);
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new CenterError('APPLICATION_INVALID', 'input is not JSON');
  }
  const list = Array.isArray(raw) ? raw : [raw];
  if (list.length === 0 || list.length > 10_000) throw new CenterError('APPLICATION_INVALID', 'give 1..10000 applications');
  return list.map((item, i) => {
    const r = applicationInputSchema.safeParse(item);
    if (!r.success) {
      const issue = r.error.issues[0];
      const where = issue ? issue.path.join('.') || '(root)' : '(root)';
      throw new CenterError('APPLICATION_INVALID', `application #${i + 1}: ${where}: ${issue?.message ?? 'invalid'}`);
    }
    const tags = new Set<string>();
    for (const d of r.data.dgis) {
      const t = d.tag.toUpperCase();
      if (tags.has(t)) throw new CenterError('APPLICATION_INVALID', `application #${i + 1}: DGI ${t} given twice`);
      tags.add(t);
    }
    return {
      id: r.data.id,
      code: r.data.code,
      profile: r.data.profile,
      ...(r.data.expires ? { expires: new Date(r.data.expires) } : {}),
      dgis: r.data.dgis.map((d) => ({ tag: parseInt(d.tag, 16), value: hex(d.value) })),
    };
  });
}

/**
 * MQTT topics of one kiosk (DESIGN §5): `kiosk/<id>/up` (kiosk → center),
 * `kiosk/<id>/down` (center → kiosk) and `kiosk/<id>/state` (retained; the
 * last will says offline). The broker confines each kiosk to its own
 * `kiosk/<id>/…` (DESIGN §3 step 1); envelope.ts checks the topic again
 * against the signed kiosk ID.
 */
import { ID_PATTERN } from './messages.js';

export type Channel = 'up' | 'down' | 'state';

/** What the center subscribes to (MQTT 3.1.1 §4.7.1.3 single-level wildcard). */
export const UP_WILDCARD = 'kiosk/+/up';

export function upTopic(kiosk: string): string {
  return topic(kiosk, 'up');
}

export function downTopic(kiosk: string): string {
  return topic(kiosk, 'down');
}

export function stateTopic(kiosk: string): string {
  return topic(kiosk, 'state');
}

/** Splits `kiosk/<id>/<channel>`; anything else (wildcards, extra levels, a bad ID) is undefined. */
export function parseKioskTopic(topic: string): { kiosk: string; channel: Channel } | undefined {
  const parts = topic.split('/');
  if (parts.length !== 3 || parts[0] !== 'kiosk') return undefined;
  const [, kiosk, channel] = parts;
  if (kiosk === undefined || !ID_PATTERN.test(kiosk)) return undefined;
  if (channel !== 'up' && channel !== 'down' && channel !== 'state') return undefined;
  return { kiosk, channel };
}

function topic(kiosk: string, channel: Channel): string {
  // An ID with '/', '+' or '#' would address another kiosk or a wildcard.
  if (!ID_PATTERN.test(kiosk)) throw new RangeError(`not a kiosk ID (${kiosk.length} characters)`);
  return `kiosk/${kiosk}/${channel}`;
}

/**
 * Which kiosks are online, as an external broker tells it (DESIGN §5): each
 * kiosk publishes `{"online":true}` retained on `kiosk/<id>/state` once its
 * session is set up, and its last will says `{"online":false}` (also
 * retained). Subscribing to `kiosk/+/state` therefore delivers every
 * kiosk's last known state at once, then each change.
 *
 * Payloads are input: only exactly `{"online":<boolean>}` counts; anything
 * else is dropped and logged (its length, never its content). A kiosk the
 * center kicked through dynsec gets no will (the plugin kicks without it,
 * checked on Mosquitto 2.0.11): `markOffline` records that here, and the
 * next `{"online":true}` the kiosk manages to publish (only with a role
 * again) brings it back.
 */
import type { Logger } from '../../../common/log.js';
import { parseKioskTopic } from '../../../wire/topics.js';

export class KioskPresence {
  private readonly online = new Set<string>();

  constructor(
    private readonly log: Logger,
    private readonly hooks: { onGone?: (kiosk: string) => void } = {},
  ) {}

  /** Takes a message on `kiosk/<id>/state`; false when the topic is not one (the caller routes it elsewhere). */
  onState(topic: string, payload: Buffer | Uint8Array): boolean {
    const addr = parseKioskTopic(topic);
    if (!addr || addr.channel !== 'state') return false;
    const online = parseState(payload);
    if (online === undefined) {
      this.log.warn('kiosk state message refused: not {"online":true|false}', { kiosk: addr.kiosk, length: payload.length });
      return true;
    }
    if (online) this.online.add(addr.kiosk);
    else this.markOffline(addr.kiosk);
    return true;
  }

  /** The kiosk is gone (its will, a clean offline, or a kick by this center). */
  markOffline(kiosk: string): void {
    if (!this.online.delete(kiosk)) return;
    this.hooks.onGone?.(kiosk);
  }

  has(kiosk: string): boolean {
    return this.online.has(kiosk);
  }

  list(): string[] {
    return [...this.online];
  }
}

/** `{"online":true}` → true, `{"online":false}` (and an empty retained message, which clears the state) → false, else undefined. */
export function parseState(payload: Buffer | Uint8Array): boolean | undefined {
  if (payload.length === 0) return false;
  if (payload.length > 64) return undefined;
  let doc: unknown;
  try {
    doc = JSON.parse(Buffer.from(payload).toString('utf8'));
  } catch {
    return undefined;
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) return undefined;
  const keys = Object.keys(doc);
  const online = (doc as { online?: unknown }).online;
  return keys.length === 1 && typeof online === 'boolean' ? online : undefined;
}

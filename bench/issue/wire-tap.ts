/**
 * Counts the kiosk's MQTT messages for the bench: an MqttConnect (the
 * factory startKiosk takes, kiosk/mqtt-client.ts) that returns mqtt.js's own
 * client with a tap on `kiosk/<id>/up` publishes and `kiosk/<id>/down`
 * deliveries. Only the envelope's `type` is read (wire/envelope.ts format);
 * bodies are never kept or printed. The retained `state` topic is not a
 * protocol message and is not counted; nor are MQTT's own PUBACKs.
 */
import { connect } from 'mqtt';
import type { MqttConnect } from '../../kiosk/mqtt-client.js';

export type WireDir = 'up' | 'down';
export type WireTap = (dir: WireDir, type: string) => void;

export function tapConnect(tap: WireTap): MqttConnect {
  return (url, opts) => {
    const client = connect(url, opts);
    // Added before the link's own listener, so a down message is counted before it is handled.
    client.on('message', (topic, payload) => {
      if (topic.endsWith('/down')) tap('down', envelopeType(payload));
    });
    const publish = client.publishAsync.bind(client);
    client.publishAsync = ((topic: string, payload: Buffer, o: { qos: 1; retain?: boolean }) => {
      if (topic.endsWith('/up')) tap('up', envelopeType(payload));
      return publish(topic, payload, o);
    }) as typeof client.publishAsync;
    return client;
  };
}

/** The `type` of a sealed envelope ({"e": base64 of the signed JSON, "s": …}); '?' when it is not one. */
export function envelopeType(payload: Uint8Array): string {
  try {
    const outer = JSON.parse(Buffer.from(payload).toString('utf8')) as { e?: unknown };
    if (typeof outer.e !== 'string') return '?';
    const signed = JSON.parse(Buffer.from(outer.e, 'base64').toString('utf8')) as { type?: unknown };
    return typeof signed.type === 'string' ? signed.type : '?';
  } catch {
    return '?';
  }
}

/**
 * The bridge's MQTT client (MQTT.js, MQTT 3.1.1, clean session, mutual TLS
 * with the center's certificate), to the embedded broker or an external
 * one. Resolves once connected; rejects at the first error (TLS refusal,
 * CONNACK refusal, connection refused) or after `connectTimeoutMs`. Once up
 * it reconnects by itself every second and resubscribes (MQTT.js
 * `resubscribe`).
 */
import { connect, type MqttClient } from 'mqtt';
import type { Logger } from '../../common/log.js';
import { BrokerError } from './errors.js';

export interface BridgeTls {
  ca: string;
  cert: string;
  key: string;
}

export function connectBridge(url: string, tls: BridgeTls, logger: Logger, o: { clientId: string; connectTimeoutMs?: number }): Promise<MqttClient> {
  return new Promise((resolve, reject) => {
    const client = connect(url, {
      protocolVersion: 4,
      clean: true,
      clientId: o.clientId,
      ca: tls.ca,
      cert: tls.cert,
      key: tls.key,
      rejectUnauthorized: true,
      reconnectPeriod: 1000,
      connectTimeout: o.connectTimeoutMs ?? 30_000,
    });
    const fail = (e: Error): void => {
      clearTimeout(timer);
      client.end(true);
      reject(new BrokerError('CONNECT', `the bridge could not connect to ${url}: ${e.message}`));
    };
    const timer = setTimeout(() => fail(new Error(`no CONNACK within ${o.connectTimeoutMs ?? 30_000} ms`)), o.connectTimeoutMs ?? 30_000);
    client.once('error', fail);
    // Nagle's algorithm delays MQTT.js's split writes by a delayed-ACK round (~40 ms per message); on every (re)connect.
    client.on('connect', () => (client.stream as { setNoDelay?: (v: boolean) => void } | undefined)?.setNoDelay?.(true));
    client.once('connect', () => {
      clearTimeout(timer);
      client.off('error', fail);
      client.on('error', (e) => logger.warn('bridge link error', { error: e }));
      resolve(client);
    });
  });
}

/** Subscribes and checks the SUBACK (MQTT 3.1.1 §3.9.3: 0x80 is a refusal): BrokerError CONNECT naming the filter. */
export async function subscribeChecked(client: Pick<MqttClient, 'subscribeAsync'>, filter: string): Promise<void> {
  const granted = await client.subscribeAsync(filter, { qos: 1 });
  if (granted.some((g) => g.qos === 128)) throw new BrokerError('CONNECT', `the broker refused the center's subscription to ${filter}`);
}

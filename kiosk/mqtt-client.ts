/**
 * The slice of an MQTT client the kiosk link uses (mqtt.js 5's MqttClient
 * satisfies it). Injected as a factory, the way MQTT.js injects its
 * transports, so unit tests drive the link with an in-memory fake.
 */
import type { SecureContext } from 'node:tls';

export interface MqttConnectOptions {
  clientId: string;
  /** MQTT 3.1.1: the embedded broker (Aedes) speaks nothing newer (DESIGN §5). */
  protocolVersion: 4;
  /** Every connect is a new session at the kiosk too: nothing is kept at the broker. */
  clean: true;
  /**
   * The kiosk's key, certificate and fleet CA as one OpenSSL context
   * (kiosk/keystore/tls-context.ts): mqtt.js hands it to tls.connect on
   * every (re)connect, so the private key is never a PEM string here.
   */
  secureContext: SecureContext;
  rejectUnauthorized: true;
  /** The broker publishes this when the kiosk drops off without a DISCONNECT (retained). */
  will: { topic: string; payload: Buffer; qos: 1; retain: true };
  reconnectPeriod: number;
  connectTimeout: number;
  /** The link subscribes itself on every connect (new session, new state). */
  resubscribe: false;
}

export interface MqttClientLike {
  readonly connected: boolean;
  /** The transport stream (a TLS socket for mqtts), when the client exposes it. */
  readonly stream?: object;
  on(event: 'connect', listener: () => void): unknown;
  on(event: 'message', listener: (topic: string, payload: Buffer) => void): unknown;
  on(event: 'close', listener: () => void): unknown;
  on(event: 'error', listener: (error: Error) => void): unknown;
  subscribeAsync(topic: string, opts: { qos: 1 }): Promise<{ topic: string; qos: number }[]>;
  publishAsync(topic: string, payload: Buffer, opts: { qos: 1; retain?: boolean }): Promise<unknown>;
  endAsync(force?: boolean): Promise<void>;
}

export type MqttConnect = (url: string, opts: MqttConnectOptions) => MqttClientLike;

/** Turns Nagle's algorithm off on the client's socket, when it has one (a TLS or TCP socket does). */
export function disableNagle(client: MqttClientLike): void {
  const stream = client.stream as { setNoDelay?: unknown } | undefined;
  if (typeof stream?.setNoDelay === 'function') (stream as { setNoDelay(noDelay: boolean): unknown }).setNoDelay(true);
}

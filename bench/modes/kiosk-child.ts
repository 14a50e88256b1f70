/**
 * The kiosk of bench/modes.ts, in a process of its own (forked by
 * kiosk-process.ts) so that its CPU time is its own: the agent as
 * `cardline kiosk` composes it (kiosk/agent.ts, the dev key store), over
 * the simulated station in `stationDir` — whose cards' CPU and EEPROM
 * writes are therefore counted with the kiosk, the same in both modes.
 *
 * IPC: the parent sends `{ type: 'request', application, code }` and gets
 * `{ type: 'sample', sample }` (or `{ type: 'failed', reason }`) back; then
 * `{ type: 'stop' }`. MQTT messages are tapped for their type and payload
 * size only (wire-tap.ts reads the envelope type); bodies are never kept.
 */
import { randomBytes } from 'node:crypto';
import { connect } from 'mqtt';
import { systemClock } from '../../common/clock.js';
import { silentLogger } from '../../common/log.js';
import { SimStation } from '../../hardware/sim/sim-station.js';
import { startKiosk } from '../../kiosk/agent.js';
import { decodeKioskConfig } from '../../kiosk/config.js';
import type { MqttConnect } from '../../kiosk/mqtt-client.js';
import { REFERENCE_LATENCY } from '../../hardware/sim/card/index.js';
import { envelopeType } from '../issue/wire-tap.js';
import { toSample, type Mark } from './sample.js';

export interface ChildConfig {
  identityDir: string;
  machineSecretFile: string;
  brokerUrl: string;
  stationDir: string;
  /** 'reference': the simulated cards answer in real-card time (hardware/sim/card/latency.ts). */
  cardLatency: 'off' | 'reference';
}

export type ChildRequest = { type: 'request'; application: string; code: string } | { type: 'stop' };

const send = (m: unknown): void => void process.send?.(m);

async function main(cfg: ChildConfig): Promise<void> {
  let marks: Mark[] | undefined;
  const mark = (m: Mark): void => void marks?.push(m);
  const tap: MqttConnect = (url, opts) => {
    const client = connect(url, opts);
    client.on('message', (topic, payload) => {
      if (topic.endsWith('/down')) mark({ kind: 'wire', dir: 'down', type: envelopeType(payload), bytes: payload.length, t: performance.now() });
    });
    const publish = client.publishAsync.bind(client);
    client.publishAsync = ((topic: string, payload: Buffer, o: { qos: 1; retain?: boolean }) => {
      if (topic.endsWith('/up')) mark({ kind: 'wire', dir: 'up', type: envelopeType(payload), bytes: payload.length, t: performance.now() });
      return publish(topic, payload, o);
    }) as typeof client.publishAsync;
    return client;
  };
  const station = await SimStation.open(cfg.stationDir, { clock: systemClock, logger: silentLogger, ...(cfg.cardLatency === 'reference' ? { latency: REFERENCE_LATENCY } : {}) });
  const agent = await startKiosk({
    config: decodeKioskConfig({ identityDir: cfg.identityDir, keyStore: { kind: 'sealed-file', machineSecretFile: cfg.machineSecretFile }, brokerUrl: cfg.brokerUrl, station: cfg.stationDir }),
    station,
    clock: systemClock,
    logger: silentLogger,
    random: (n) => new Uint8Array(randomBytes(n)),
    events: (e) => mark({ kind: 'event', type: e.type, t: performance.now() }),
    mqttConnect: tap,
  });
  await agent.ready;
  process.on('message', (m: ChildRequest) => {
    void (async () => {
      if (m.type === 'stop') {
        await agent.stop();
        await station.close();
        send({ type: 'stopped' });
        process.disconnect();
        return;
      }
      marks = [];
      const t0 = performance.now();
      const cpu0 = process.cpuUsage();
      const r = await agent.request(m.application, m.code);
      const cpu = process.cpuUsage(cpu0);
      const taken = marks;
      marks = undefined;
      if (r.outcome !== 'issued') send({ type: 'failed', reason: `${r.outcome} (${r.reason ?? 'no reason'})` });
      else send({ type: 'sample', sample: toSample(taken, t0, (cpu.user + cpu.system) / 1000) });
    })().catch((e: unknown) => send({ type: 'failed', reason: e instanceof Error ? e.message : String(e) }));
  });
  send({ type: 'ready' });
}

const cfg = JSON.parse(process.argv[2] ?? '{}') as ChildConfig;
main(cfg).catch((e: unknown) => {
  send({ type: 'failed', reason: e instanceof Error ? e.message : String(e) });
  process.exitCode = 1;
  process.disconnect?.();
});

/**
 * Commands to Mosquitto's dynamic-security plugin over MQTT (Mosquitto 2.0
 * plugins/dynamic-security: a JSON `{"commands":[…]}` published on
 * `$CONTROL/dynamic-security/v1`, answered on `…/v1/response` with
 * `{"responses":[…]}` in the same order, each carrying back the command's
 * `correlationData`). The center's role may use both topics
 * (../mosquitto/dynsec.ts centerRole).
 *
 * Every worker of the center subscribes to the one response topic and so
 * sees every worker's answers: a command is matched by its correlation
 * data, made of this client's unique prefix and a counter; anything else is
 * ignored. A command that gets no answer within `timeoutMs` rejects with
 * BrokerError DYNSEC_TIMEOUT (plugin not loaded, role without $CONTROL,
 * link down): nothing here waits forever. The plugin's own errors come back
 * per command (`error`): the caller decides which are expected (e.g. "Role
 * already exists" while reconciling) and which are a DYNSEC_REFUSED.
 */
import type { Clock } from '../../../common/clock.js';
import { BrokerError } from '../errors.js';

export const CONTROL_TOPIC = '$CONTROL/dynamic-security/v1';
export const RESPONSE_TOPIC = `${CONTROL_TOPIC}/response`;
export const DEFAULT_DYNSEC_TIMEOUT_MS = 5_000;

/** One plugin command: `command` plus its own fields (username, rolename, acls, …). */
export interface DynsecCommand {
  command: string;
  [field: string]: unknown;
}

export interface DynsecAnswer {
  command: string;
  /** The plugin's error text, e.g. "Client not found". */
  error?: string;
  data?: unknown;
}

/** What this needs of an MQTT client (mqtt.js MqttClient fits). */
export interface ControlPublisher {
  publish(topic: string, payload: string, opts: { qos: 1 }, cb: (err?: Error) => void): unknown;
}

interface Pending {
  settle: (a: DynsecAnswer) => void;
}

export class DynsecControl {
  private next = 0;
  private readonly pending = new Map<string, Pending>();

  constructor(
    private readonly client: ControlPublisher,
    private readonly o: { clock: Clock; prefix: string; timeoutMs?: number },
  ) {}

  /**
   * Sends the commands in one message and resolves with their answers, in
   * order. Rejects BrokerError DYNSEC_TIMEOUT when any is not answered in
   * time, or CONNECT when the message could not be published.
   */
  async run(commands: readonly DynsecCommand[]): Promise<DynsecAnswer[]> {
    if (commands.length === 0) return [];
    const ids = commands.map(() => `${this.o.prefix}.${++this.next}`);
    const stop = new AbortController();
    const answers = ids.map((id) => new Promise<DynsecAnswer>((resolve) => this.pending.set(id, { settle: resolve })));
    const ms = this.o.timeoutMs ?? DEFAULT_DYNSEC_TIMEOUT_MS;
    const late = this.o.clock.sleep(ms, stop.signal).then(
      () => {
        throw new BrokerError('DYNSEC_TIMEOUT', `the dynamic-security plugin did not answer ${commands.map((c) => c.command).join(', ')} within ${ms} ms`);
      },
      () => new Promise<never>(() => undefined),
    );
    try {
      const payload = JSON.stringify({ commands: commands.map((c, i) => ({ ...c, correlationData: ids[i] })) });
      const sent = new Promise<void>((resolve, reject) =>
        this.client.publish(CONTROL_TOPIC, payload, { qos: 1 }, (err) => (err ? reject(new BrokerError('CONNECT', `a dynamic-security command could not be sent: ${err.message}`)) : resolve())),
      );
      return await Promise.race([sent.then(() => Promise.all(answers)), late]);
    } finally {
      stop.abort();
      for (const id of ids) this.pending.delete(id);
    }
  }

  /** Takes a message from the response topic; answers that are not this client's are ignored. Never throws. */
  onResponse(payload: Buffer | Uint8Array): void {
    for (const r of parseResponses(payload)) {
      const p = r.correlationData === undefined ? undefined : this.pending.get(r.correlationData);
      if (!p) continue;
      this.pending.delete(r.correlationData!);
      p.settle({ command: r.command, ...(r.error !== undefined ? { error: r.error } : {}), ...(r.data !== undefined ? { data: r.data } : {}) });
    }
  }

  /** Commands waiting for their answer (tests). */
  get waiting(): number {
    return this.pending.size;
  }
}

interface RawResponse {
  command: string;
  error?: string;
  data?: unknown;
  correlationData?: string;
}

/** The plugin's response message, checked field by field; anything malformed is dropped (its sender is the broker, but it is still input). */
export function parseResponses(payload: Buffer | Uint8Array): RawResponse[] {
  let doc: unknown;
  try {
    doc = JSON.parse(Buffer.from(payload).toString('utf8'));
  } catch {
    return [];
  }
  if (typeof doc !== 'object' || doc === null || !Array.isArray((doc as { responses?: unknown }).responses)) return [];
  const out: RawResponse[] = [];
  for (const r of (doc as { responses: unknown[] }).responses) {
    if (typeof r !== 'object' || r === null) continue;
    const { command, error, data, correlationData } = r as Record<string, unknown>;
    if (typeof command !== 'string') continue;
    if (error !== undefined && typeof error !== 'string') continue;
    if (correlationData !== undefined && typeof correlationData !== 'string') continue;
    out.push({ command, ...(error !== undefined ? { error } : {}), ...(data !== undefined ? { data } : {}), ...(correlationData !== undefined ? { correlationData } : {}) });
  }
  return out;
}

/**
 * `cardline kiosk --screen PORT`: the kiosk's touchscreen UI
 * (kiosk/screen/, docs/screens.md) instead of stdin. The options are
 * checked and the operator's PIN file read before anything else opens (a
 * malformed file stops the kiosk at start, with the reason); once the
 * agent runs, the server listens on 127.0.0.1 and the URL is printed.
 */
import type { KioskAgent } from '../../kiosk/agent.js';
import type { KioskEventSink } from '../../kiosk/events.js';
import type { Keypad } from '../../hardware/keypad.js';
import type { CardStation } from '../../hardware/station.js';
import type { ScreenFeed } from '../../kiosk/screen/feed.js';
import { loadOperatorPin } from '../../kiosk/screen/operator-pin.js';
import { cardSourceOf, startScreenServer, type ScreenServer } from '../../kiosk/screen/server.js';
import { UsageError, type CommandContext, type OptionSpec, type ParsedOptions } from '../command.js';

export const screenOptions: Record<string, OptionSpec> = {
  screen: { type: 'string', arg: 'PORT', description: 'Serve the touchscreen UI on http://127.0.0.1:PORT/ (0: a free port) instead of reading stdin' },
  'operator-pin-file': { type: 'string', arg: 'FILE', description: "The operator view's PIN: a file with its scrypt hash ('cardline kiosk pin-hash'), mode 0600" },
  'screen-idle-ms': { type: 'string', arg: 'MS', description: 'An idle customer screen goes back to the start after MS (default 60000)' },
  'screen-result-ms': { type: 'string', arg: 'MS', description: 'The result screen goes back to the start after MS (default 15000)' },
};

export interface ScreenPlan {
  port: number;
  idleMs?: number;
  resultMs?: number;
  pinHash?: string;
}

function integer(opts: ParsedOptions, name: string, max: number): number | undefined {
  const v = opts[name];
  if (typeof v !== 'string') return undefined;
  if (!/^[0-9]{1,7}$/.test(v) || Number(v) > max) throw new UsageError(`--${name} must be an integer from 0 to ${max}`);
  return Number(v);
}

/** The screen's options, or undefined without --screen; reads and checks the PIN file (ScreenError 'PIN_FILE_INVALID'). */
export async function screenPlanOf(opts: ParsedOptions): Promise<ScreenPlan | undefined> {
  const port = integer(opts, 'screen', 65535);
  if (port === undefined) {
    for (const o of ['operator-pin-file', 'screen-idle-ms', 'screen-result-ms']) if (opts[o] !== undefined) throw new UsageError(`--${o} needs --screen`);
    return undefined;
  }
  if (opts.request !== undefined || opts.once === true) throw new UsageError('--screen serves customers from the screen: it does not go with --request or --once');
  const idleMs = integer(opts, 'screen-idle-ms', 600_000);
  const resultMs = integer(opts, 'screen-result-ms', 600_000);
  const pinFile = opts['operator-pin-file'];
  return {
    port,
    ...(idleMs !== undefined ? { idleMs } : {}),
    ...(resultMs !== undefined ? { resultMs } : {}),
    ...(typeof pinFile === 'string' ? { pinHash: await loadOperatorPin(pinFile) } : {}),
  };
}

/** Both sinks get every event: the terminal prints it, the screen shows it. */
export function teeEvents(a: KioskEventSink, b: KioskEventSink): KioskEventSink {
  return (e) => {
    a(e);
    b(e);
  };
}

export interface ScreenRun {
  server: ScreenServer;
  close(): Promise<void>;
}

/** Starts the server over the running agent; a HID keypad's keys go to the page. Prints `screen on URL`. */
export async function serveScreen(
  ctx: CommandContext,
  plan: ScreenPlan,
  deps: { agent: KioskAgent; station: CardStation; feed: ScreenFeed; keypad?: Keypad; random: (n: number) => Uint8Array },
): Promise<ScreenRun> {
  const server = await startScreenServer({
    config: { port: plan.port, ...(plan.idleMs !== undefined ? { idleMs: plan.idleMs } : {}), ...(plan.resultMs !== undefined ? { resultMs: plan.resultMs } : {}) },
    agent: deps.agent,
    station: deps.station,
    feed: deps.feed,
    ...(plan.pinHash !== undefined ? { operatorPinHash: plan.pinHash } : {}),
    keypad: deps.keypad !== undefined,
    cardSource: cardSourceOf(deps.station),
    clock: ctx.clock,
    logger: ctx.logger,
    random: deps.random,
  });
  const offKeys = deps.keypad?.on('key', (k) => deps.feed.key(k));
  ctx.out(`screen on ${server.url}\n`);
  return {
    server,
    close: async () => {
      offKeys?.();
      await server.close();
    },
  };
}

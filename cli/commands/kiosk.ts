/**
 * `cardline kiosk`: runs the kiosk agent over a card station (simulated,
 * serial dispenser or PC/SC reader: hardware/station-spec.ts), with
 * the terminal as its screen (stdout) and keypad (stdin). Logs are JSON on
 * stderr. The one-time code is read from stdin only, never from argv: the
 * process table is visible to every user of the machine.
 */
import { HidKeypad } from '../../hardware/hid/hid-keypad.js';
import type { Keypad } from '../../hardware/keypad.js';
import { openStation } from '../../hardware/open-station.js';
import { KeypadTextInput } from '../../kiosk/front/keypad-input.js';
import { startKiosk, type KioskAgent } from '../../kiosk/agent.js';
import { decodeKioskConfig, type KioskConfig } from '../../kiosk/config.js';
import { LineInput, type TextInput } from '../../kiosk/front/line-input.js';
import { runTerminal, terminalEvents } from '../../kiosk/front/terminal.js';
import type { MqttConnect } from '../../kiosk/mqtt-client.js';
import { disableCoreDumps } from '../../kiosk/systemd/core-limit.js';
import { KioskService } from '../../kiosk/systemd/service.js';
import { wedgeThresholdMs } from '../../kiosk/systemd/wedge-threshold.js';
import { UsageError, type Command, type CommandContext, type ParsedOptions } from '../command.js';
import { ScreenFeed } from '../../kiosk/screen/feed.js';
import { keyStoreOf, keyStoreOptions } from './keystore-options.js';
import { screenOptions, screenPlanOf, serveScreen, teeEvents, type ScreenRun } from './kiosk-screen.js';
import { cryptoRandom } from '../random.js';

const random = cryptoRandom;

/** Exit code of a kiosk the center decommissioned (docs/provisioning.md §7): never restarted. */
export const DECOMMISSIONED_EXIT = 4;

export interface KioskCommandDeps {
  /** Sets the process's RLIMIT_CORE to 0 (default: kiosk/systemd/core-limit.ts over prlimit); unit tests inject a no-op. */
  disableCoreDumps?: typeof disableCoreDumps;
  /** The keypad (default: process.stdin). */
  stdin: () => TextInput;
  mqttConnect?: MqttConnect;
  /** Opens the customer keypad named by --keypad (default: a HID keypad through node-hid). */
  openKeypad?: (spec: string) => Promise<Keypad>;
}

export function makeKioskCommand(deps: KioskCommandDeps): Command {
  return {
    path: ['kiosk'],
    summary: 'Run the kiosk agent over a card station, with the terminal as its screen',
    usage: 'kiosk --identity DIR --broker mqtts://HOST:PORT --station SPEC [--request APP_ID] [--once] [--screen PORT [--operator-pin-file FILE]]',
    description: `
Connects to the center's broker with the kiosk's certificate (mutual TLS),
authenticates the station's card reader against the center-signed registry
and serves customers: application ID, then one-time code, both read from
stdin (the code is never echoed). With --request the application is fixed
and only the code is read, as one line. --once exits after one customer:
exit code 0 when the card was issued, 1 otherwise. Otherwise the kiosk
serves customers until EOF or SIGINT.

The identity directory holds only public files: tls.crt (CN = kiosk ID),
ca.crt and center-signing.pub (the dev PKI's kiosks/<id>/). The private
keys (TLS, signing, sealing) are unsealed from the key store once, at
start; a kiosk whose store does not unseal does not start (exit 1, the
reason printed). --key-store sealed-file (default): <identity>/keys.sealed
under the machine secret --machine-secret (default
/etc/cardline/machine-secret; the dev PKI puts one beside the store).
--key-store tpm: sealed to PCRs --tpm-pcrs (default sha256:0,1,2,3,7) in
--tpm-dir (default <identity>/tpm), TPM at --tpm-tcti (default
tabrmd:bus_type=system); the TLS key stays in the TPM, so node must run
with --openssl-config=kiosk/keystore/openssl-tpm2.cnf (docs/keystore.md).

The station SPEC names the card station:
  sim:DIR (or just DIR)   the simulated dispenser whose state is in DIR
  serial:PATH[@BAUD]      a serial card dispenser on the tty PATH (default 115200 baud)
  pcsc                    the first PC/SC reader (a plain reader: the customer inserts the card)
  pcsc:NAME               the PC/SC reader named NAME (see 'cardline hw list')

With --keypad the customer types on a HID keypad (digits, Enter ends a
line, Cancel clears it; docs/keypad.md) instead of stdin. The keypad is
authenticated against the center-signed registry like the reader (identity
match): a keypad the registry does not list is refused, reported to the
center, and the kiosk serves no customer.

With --screen PORT the customers use the touchscreen UI instead of stdin:
a web page on http://127.0.0.1:PORT/ only (0 picks a free port; the URL is
printed as "screen on URL"), for Chromium in kiosk mode (docs/screens.md,
docs/operations.md). The terminal still prints every event; stdin is not
read. A --keypad's keys then go to the page. The operator view
(/operator) needs --operator-pin-file: a file (mode 0600) holding the
PIN's scrypt hash, made by 'cardline kiosk pin-hash'; a malformed file
stops the kiosk at start.

The kiosk sets its own core-dump limit to 0 at start (prlimit; a core file
would hold keys and card data) and refuses to run if it cannot. Under
systemd (Type=notify; os-image/systemd/cardline-kiosk.service) it sends
READY=1 once the center welcomed it and its readers are authenticated,
STATUS= lines with its state, and WATCHDOG=1 every half of WATCHDOG_USEC
while its session runner is not wedged (docs/operations.md). Outside
systemd (NOTIFY_SOCKET unset) it sends nothing.

Certificate renewal (docs/provisioning.md §3) runs by itself when the
center asks: a new TLS key is made in the key store (keys.next.sealed, or
tpm/tls.next.tss2.pem), its certificate is checked and kept as
tls.next.crt, and swapped in, with a reconnect, once no customer session
is in progress. A swap cut short by a crash is finished (or undone) at the
next start. When the center decommissions the kiosk, it wipes its key
store and registry, prints "decommissioned: key store wiped" on stderr and
exits with code 4, which the systemd unit does not restart (see also
'cardline kiosk wipe').`,
    options: {
      identity: { type: 'string', arg: 'DIR', description: "The kiosk's identity directory (required)" },
      broker: { type: 'string', arg: 'URL', description: 'The broker, mqtts://HOST:PORT (required)' },
      station: { type: 'string', arg: 'SPEC', description: 'The card station: sim:DIR, serial:PATH[@BAUD], pcsc or pcsc:NAME (required)' },
      id: { type: 'string', arg: 'ID', description: "The kiosk ID (default: the certificate's CN; checked against it)" },
      request: { type: 'string', arg: 'APP_ID', description: 'Serve this application; read only the code from stdin' },
      once: { type: 'boolean', description: 'Exit after one customer (0 issued, 1 otherwise)' },
      'exit-on-refused': { type: 'boolean', description: 'Exit (code 1) when the center or the reader is refused' },
      keypad: { type: 'string', arg: 'SPEC', description: 'Read customer input from a HID keypad, hid:VVVV:PPPP[:SERIAL], instead of stdin' },
      ...screenOptions,
      ...keyStoreOptions,
    },
    run: (ctx, opts) => runKiosk(ctx, opts, deps),
  };
}

export const kioskCommand: Command = makeKioskCommand({ stdin: () => process.stdin });

function configOf(ctx: CommandContext, opts: ParsedOptions): KioskConfig {
  for (const key of ['identity', 'broker', 'station'] as const) {
    if (typeof opts[key] !== 'string') throw new UsageError(`--${key} is required`);
  }
  return decodeKioskConfig({
    ...(typeof opts.id === 'string' ? { kioskId: opts.id } : {}),
    identityDir: opts.identity,
    brokerUrl: opts.broker,
    station: opts.station,
    exitOnRefused: opts['exit-on-refused'] === true,
    ...(typeof opts.keypad === 'string' ? { keypad: opts.keypad } : {}),
    keyStore: keyStoreOf(opts),
    logLevel: ctx.env.CARDLINE_LOG_LEVEL ?? 'warn',
  });
}

async function runKiosk(ctx: CommandContext, opts: ParsedOptions, deps: KioskCommandDeps): Promise<number> {
  const config = configOf(ctx, opts);
  // The screen's options and the operator's PIN file are checked before anything opens.
  const screen = await screenPlanOf(opts);
  // Before anything holds a key: no core dumps (kiosk/systemd/core-limit.ts), and systemd's environment checked.
  await (deps.disableCoreDumps ?? disableCoreDumps)({ pid: process.pid, logger: ctx.logger });
  const service = KioskService.fromEnv(ctx.env, { pid: process.pid, clock: ctx.clock, logger: ctx.logger });
  service.status('starting: opening the card station');
  const application = typeof opts.request === 'string' ? opts.request : undefined;
  const station = await openStation(config.station, { clock: ctx.clock, logger: ctx.logger });
  let keypad: Keypad | undefined;
  try {
    if (config.keypad !== undefined) keypad = await (deps.openKeypad ?? ((spec) => HidKeypad.open(spec, { logger: ctx.logger })))(config.keypad);
  } catch (e) {
    service.stop();
    await station.close();
    throw e;
  }
  // With the screen, customers type on the page (a keypad's keys go there too): stdin is not read.
  const input = screen ? undefined : new LineInput(keypad ? new KeypadTextInput(keypad) : deps.stdin());
  const feed = screen ? new ScreenFeed({ clock: ctx.clock, readerId: station.identity.id }) : undefined;
  let shown: ScreenRun | undefined;
  let agent: KioskAgent | undefined;
  const stop = new AbortController();
  const onAbort = (): void => stop.abort();
  ctx.signal.addEventListener('abort', onAbort, { once: true });
  // STOPPING=1 as soon as shutdown begins (SIGTERM, or --exit-on-refused).
  stop.signal.addEventListener('abort', () => service.stop(), { once: true });
  try {
    service.status('starting: connecting to the issuing center');
    agent = await startKiosk({
      config,
      station,
      clock: ctx.clock,
      logger: ctx.logger,
      random,
      events: service.events(feed ? teeEvents(terminalEvents(ctx.out), feed.events) : terminalEvents(ctx.out)),
      ...(feed ? { onExchange: feed.exchange } : {}),
      ...(keypad ? { devices: [keypad.identity] } : {}),
      ...(deps.mqttConnect ? { mqttConnect: deps.mqttConnect } : {}),
    });
    const running = agent;
    // The center's `decommission`: the agent wiped its store and stopped; the kiosk exits 4 (systemd: RestartPreventExitStatus=4).
    let decommissioned: string[] | undefined;
    void running.ended.then((e) => {
      if (e.reason !== 'decommissioned') return;
      decommissioned = e.wipe.failed;
      stop.abort();
    });
    const exit = (code: number): number => {
      if (decommissioned === undefined) return code;
      ctx.err(`decommissioned: key store wiped${decommissioned.length > 0 ? ` (could not remove: ${decommissioned.join(', ')})` : ''}\n`);
      return DECOMMISSIONED_EXIT;
    };
    // READY=1 once the agent is ready, STATUS lines, WATCHDOG=1 while the runner is not wedged (kiosk/systemd/).
    service.supervise(running, { wedgedAfterMs: wedgeThresholdMs(config) });
    // SIGINT ends a customer's wait too: stop() settles it as 'failed' ('stopped').
    stop.signal.addEventListener('abort', () => void running.stop().catch(() => undefined), { once: true });
    let refused = false;
    agent.ready.catch(() => {
      refused = true;
      if (config.exitOnRefused) stop.abort();
    });
    if (screen && feed) {
      shown = await serveScreen(ctx, screen, { agent, station, feed, random, ...(keypad ? { keypad } : {}) });
      await new Promise<void>((resolve) => (stop.signal.aborted ? resolve() : stop.signal.addEventListener('abort', () => resolve(), { once: true })));
      return exit(config.exitOnRefused && refused ? 1 : 0);
    }
    const last = await runTerminal({
      agent,
      input: input!,
      write: ctx.out,
      ...(application !== undefined ? { application } : {}),
      once: opts.once === true,
      signal: stop.signal,
    });
    if (config.exitOnRefused && refused) return exit(1);
    if (opts.once === true || application !== undefined) return exit(last?.outcome === 'issued' ? 0 : 1);
    return exit(0);
  } finally {
    ctx.signal.removeEventListener('abort', onAbort);
    service.stop();
    input?.close();
    await shown?.close();
    await agent?.stop();
    await keypad?.close();
    await station.close();
  }
}

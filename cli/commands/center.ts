/** `cardline center`: runs the issuing center (embedded broker + bridge + store) until SIGINT/SIGTERM. */
import { startCenter } from '../../center/center.js';
import { UsageError, type Command, type CommandContext, type ParsedOptions } from '../command.js';
import { cryptoRandom, pkiDir, storeLocation, STORE_OPTIONS } from '../center/store-option.js';

export const centerCommand: Command = {
  path: ['center'],
  summary: 'Run the card-issuing center: embedded MQTT broker (mutual TLS) and bridge',
  usage: 'center --pki DIR (--data DIR | --database URL) [--host 127.0.0.1] [--port 8883]',
  description: `
Starts the embedded MQTT broker (Aedes, MQTT 3.1.1) with mutual TLS on
--host:--port (loopback by default), opens the store (PGlite in --data, or
PostgreSQL at --database; migrations run first) and handles every kiosk's
messages until SIGINT or SIGTERM. Logs are JSON lines on stderr; one line
on stdout says where it listens.

Register kiosks, readers and applications with 'cardline center kiosks add',
'cardline center readers add|remove' and 'cardline center applications add'.`,
  options: {
    ...STORE_OPTIONS,
    host: { type: 'string', arg: 'HOST', description: 'Address the broker listens on', default: '127.0.0.1' },
    port: { type: 'string', arg: 'N', description: 'Broker port (0: a free one)', default: '8883' },
  },
  run: async (ctx: CommandContext, opts: ParsedOptions): Promise<number> => {
    const port = Number(opts.port ?? '8883');
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError('--port must be 0..65535');
    const host = typeof opts.host === 'string' ? opts.host : '127.0.0.1';
    const center = await startCenter({ pkiDir: pkiDir(opts), store: storeLocation(opts), host, port, clock: ctx.clock, logger: ctx.logger, random: cryptoRandom });
    ctx.out(`center listening on ${center.url}\n`);
    if (!ctx.signal.aborted) await new Promise<void>((resolve) => ctx.signal.addEventListener('abort', () => resolve(), { once: true }));
    await center.stop();
    return 0;
  },
};

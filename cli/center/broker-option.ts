/**
 * `cardline center`'s broker options, decoded once (STYLE: one schema per
 * CLI): the embedded broker on `--host`/`--port` (127.0.0.1:8883 by
 * default), or with `--broker mqtts://HOST:PORT` an external Mosquitto 2
 * (docs/mosquitto.md) with an optional `--broker-pid-file` (SIGHUP reloads
 * its CRL) and `--worker NAME`. Mixing the two is a usage error (exit 2).
 */
import { isAbsolute } from 'node:path';
import type { BrokerOption } from '../../center/broker/compose.js';
import { isWorkerName, parseBrokerUrl } from '../../center/broker/external/start.js';
import { UsageError, type ParsedOptions } from '../command.js';

export function brokerOption(opts: ParsedOptions): BrokerOption {
  const str = (name: string): string | undefined => (typeof opts[name] === 'string' ? opts[name] : undefined);
  const url = str('broker');
  const pidFile = str('broker-pid-file');
  const worker = str('worker');
  if (url === undefined) {
    if (pidFile !== undefined || worker !== undefined) throw new UsageError('--broker-pid-file and --worker go with --broker');
    const text = str('port') ?? '8883';
    // Decimal digits only (as broker-config.ts): Number() would also take 0x1bb, 1e3, ' 1' and ''.
    const port = Number(text);
    if (!/^\d{1,5}$/.test(text) || port > 65535) throw new UsageError('--port must be 0..65535 (0: any free port)');
    return { kind: 'embedded', host: str('host') ?? '127.0.0.1', port };
  }
  if (str('host') !== undefined || str('port') !== undefined) throw new UsageError('--host and --port are for the embedded broker: not with --broker');
  try {
    parseBrokerUrl(url);
  } catch (e) {
    throw new UsageError(`--broker: ${(e as Error).message}`);
  }
  if (pidFile !== undefined && (!isAbsolute(pidFile) || pidFile.length > 4096)) throw new UsageError('--broker-pid-file must be an absolute path');
  if (worker !== undefined && !isWorkerName(worker)) throw new UsageError('--worker must be 1..32 of A-Z a-z 0-9 . _ -');
  return { kind: 'external', url, ...(pidFile !== undefined ? { pidFile } : {}), ...(worker !== undefined ? { worker } : {}) };
}

/**
 * Opens the card station a spec names (station-spec.ts): the simulated
 * dispenser, a serial dispenser, or a PC/SC reader. The kiosk and
 * `cardline hw` use it, so a kiosk runs on any of them by configuration.
 */
import type { Clock } from '../common/clock.js';
import type { Logger } from '../common/log.js';
import { PcscReaders } from './pcsc/pcsc-readers.js';
import { PcscStation } from './pcsc/pcsc-station.js';
import { openSerialDispenser } from './serial/open-port.js';
import { SimStation } from './sim/sim-station.js';
import type { StationSpec } from './station-spec.js';
import { StationError, type CardStation } from './station.js';

export interface OpenStationDeps {
  clock: Clock;
  logger: Logger;
}

export async function openStation(spec: StationSpec, deps: OpenStationDeps): Promise<CardStation> {
  switch (spec.kind) {
    case 'sim':
      return SimStation.open(spec.dir, { clock: deps.clock, logger: deps.logger });
    case 'serial':
      return openSerialDispenser(spec.path, spec.baudRate, { clock: deps.clock, logger: deps.logger });
    case 'pcsc':
      return openPcscStation(spec.reader, deps);
  }
}

/** A PC/SC reader by name, or the first one pcscd lists; a missing reader is StationError 'IO' naming the readers attached. */
async function openPcscStation(reader: string | undefined, deps: OpenStationDeps): Promise<CardStation> {
  const readers = await PcscReaders.open({ clock: deps.clock, logger: deps.logger });
  try {
    await readers.settled(3000);
    const name = reader ?? readers.names[0];
    if (name === undefined) throw new StationError('IO', 'no PC/SC reader is attached');
    if (!readers.names.includes(name)) throw new StationError('IO', `no PC/SC reader named '${name}' (attached: ${readers.names.map((n) => `'${n}'`).join(', ') || 'none'})`);
    return new PcscStation(readers, { readerName: name, clock: deps.clock, logger: deps.logger }, true);
  } catch (e) {
    await readers.close();
    throw e;
  }
}

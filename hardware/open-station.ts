/**
 * Opens the card station a spec names (station-spec.ts): the simulated
 * dispenser, a serial dispenser, or a PC/SC reader. The kiosk and
 * `cardline hw` use it, so a kiosk runs on any of them by configuration.
 */
import type { Clock } from '../common/clock.js';
import type { Logger } from '../common/log.js';
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
      throw new StationError('UNSUPPORTED', 'PC/SC stations are not wired yet');
  }
}

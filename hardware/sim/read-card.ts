/**
 * Reading a simulated card outside the station that issued it: the card's
 * EEPROM image is opened in a fresh in-process SimReader, powered, handed
 * to the caller as a transmit function, and powered off again. The demo
 * uses it for its independent read-back of an ejected card (the customer
 * puts the card into some other reader).
 *
 * The card is the card: whatever the caller's commands write (a sequence
 * counter, say) is written to the image. Do not read a card that a running
 * station holds at its IC station: two SimCards on one image would diverge.
 */
import type { Clock } from '../../common/clock.js';
import type { Logger } from '../../common/log.js';
import { StationError } from '../station.js';
import { SimCard, type LatencyModel } from './card/index.js';
import { SimReader } from './sim-reader.js';
import { exists } from './station-fs.js';

export type CardTransmit = (apdu: Uint8Array) => Promise<Uint8Array>;

export interface ReadCardOptions<T> {
  /** Runs with the powered card; its result is readCardImage's. `atr` is the answer to the reset. */
  run: (transmit: CardTransmit, atr: Uint8Array) => Promise<T>;
  clock?: Clock;
  logger?: Logger;
  latency?: LatencyModel;
  /** Timeout per command (default none: the in-process card always answers). */
  timeoutMs?: number;
}

/** Rejects StationError NO_CARD when there is no image at `imagePath` (no card is ever made here). */
export async function readCardImage<T>(imagePath: string, opts: ReadCardOptions<T>): Promise<T> {
  if (!(await exists(imagePath))) throw new StationError('NO_CARD', `no card image at ${imagePath}`);
  const card = await SimCard.open({
    statePath: imagePath,
    ...(opts.clock ? { clock: opts.clock } : {}),
    ...(opts.logger ? { logger: opts.logger } : {}),
    ...(opts.latency ? { latency: opts.latency } : {}),
  });
  const reader = new SimReader({
    name: 'sim:read-back',
    ...(opts.clock ? { clock: opts.clock } : {}),
    ...(opts.logger ? { logger: opts.logger } : {}),
    ...(opts.timeoutMs !== undefined ? { defaultTimeoutMs: opts.timeoutMs } : {}),
  });
  reader.insert(card);
  try {
    const atr = await reader.powerOn();
    return await opts.run((apdu) => reader.transmit(apdu), atr);
  } finally {
    await reader.powerOff();
    reader.remove();
    await reader.close();
  }
}

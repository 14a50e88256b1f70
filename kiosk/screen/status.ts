/**
 * The operator's status line (docs/screens.md `event: status`): the agent's
 * phase, the link, the station reader's authentication, and the hopper as
 * the station reports it (hardware/station.ts StationStatus). A station
 * that cannot answer is 'unknown', not an error page.
 */
import type { CardStation } from '../../hardware/station.js';
import type { KioskAgent } from '../agent.js';
import type { ReaderStatus, ScreenFeed } from './feed.js';

export interface OperatorStatus {
  phase: string;
  link: 'up' | 'down';
  reader: ReaderStatus;
  hopper: { state: 'ok' | 'low' | 'empty' | 'unknown'; remaining?: number };
}

export async function operatorStatus(agent: Pick<KioskAgent, 'state'>, station: Pick<CardStation, 'status'>, feed: ScreenFeed): Promise<OperatorStatus> {
  let hopper: OperatorStatus['hopper'];
  try {
    const s = await station.status();
    hopper = { state: s.hopper, ...(s.hopperRemaining !== undefined ? { remaining: s.hopperRemaining } : {}) };
  } catch {
    hopper = { state: 'unknown' };
  }
  return { phase: agent.state(), link: feed.link(), reader: feed.reader(), hopper };
}

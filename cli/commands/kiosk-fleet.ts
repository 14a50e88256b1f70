/** The kiosk's own fleet commands: kiosk wipe (docs/provisioning.md §4). */
import type { Command } from '../command.js';
import { kioskWipeCommand } from './kiosk-wipe.js';

export function kioskFleetCommands(): Command[] {
  return [kioskWipeCommand];
}

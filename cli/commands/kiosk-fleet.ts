/** The kiosk's own fleet commands: kiosk wipe (docs/provisioning.md §4). */
import type { Command } from '../command.js';

export function kioskFleetCommands(): Command[] {
  return [];
}

/** The commands of renewal, revocation and decommissioning: center kiosks renew|decommission, kiosk wipe (docs/provisioning.md §3-4). */
import type { Command } from '../command.js';

export function fleetOpsCommands(): Command[] {
  return [];
}

/** The commands of enrolment: center enrol-token, kiosk enrol (docs/provisioning.md §2). */
import type { Command } from '../command.js';

export function enrolCommands(): Command[] {
  return [];
}

/** The commands of enrolment: center enrol-token, kiosk enrol (docs/provisioning.md §2). */
import type { Command } from '../command.js';
import { kioskEnrolCommand } from './enrol-kiosk.js';
import { enrolTokenCommand } from './enrol-token.js';

export function enrolCommands(): Command[] {
  return [enrolTokenCommand, kioskEnrolCommand];
}

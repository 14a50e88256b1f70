/** The commands of the two-tier fleet CA: pki root|issuing|crl|revoke|status (provisioning/pki). */
import type { Command } from '../command.js';

export function pkiFleetCommands(): Command[] {
  return [];
}

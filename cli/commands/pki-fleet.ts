/** The commands of the two-tier fleet CA: pki root|issuing|crl|revoke|status (provisioning/pki, docs/provisioning.md §1). */
import type { Command } from '../command.js';
import { pkiCrlCommand, pkiRevokeCommand, pkiStatusCommand } from './pki-crl.js';
import { pkiIssuingInitCommand } from './pki-issuing.js';
import { pkiRootCrlCommand, pkiRootInitCommand } from './pki-root.js';

export function pkiFleetCommands(): Command[] {
  return [pkiRootInitCommand, pkiRootCrlCommand, pkiIssuingInitCommand, pkiCrlCommand, pkiRevokeCommand, pkiStatusCommand];
}

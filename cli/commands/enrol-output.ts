/**
 * The enrolment commands' call shape over the one wrapper of the fleet
 * commands' conventions: fleet-output.ts fleetOutput (docs/provisioning.md
 * §7), which also reports a refusal by the center with the center's code
 * (`token-refused`, `kiosk-exists`, …) and counts the enrolment client's
 * UNREACHABLE and BUSY among the retry-later codes.
 */
import type { CommandContext } from '../command.js';
import { fleetOutput, type FleetResult } from './fleet-output.js';

export type EnrolResult = FleetResult;

export function enrolOutput(ctx: CommandContext, name: string, json: boolean, run: () => Promise<EnrolResult>): Promise<number> {
  return fleetOutput(ctx, name, json, run);
}

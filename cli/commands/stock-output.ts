/**
 * The stock commands' call shape (`scripted`, `required`) over the one
 * wrapper of the fleet commands' conventions: fleet-output.ts fleetOutput
 * (docs/provisioning.md §7: the output, the exit codes and the retry-later
 * codes are defined there only).
 */
import { UsageError, type CommandContext } from '../command.js';
import { fleetOutput, type FleetResult } from './fleet-output.js';

export type Outcome = FleetResult;

export function scripted(ctx: CommandContext, name: string, json: boolean, fn: () => Promise<Outcome>): Promise<number> {
  return fleetOutput(ctx, name, json, fn);
}

export function required(opts: Record<string, string | boolean | undefined>, name: string): string {
  const v = opts[name];
  if (typeof v !== 'string' || v.length === 0) throw new UsageError(`--${name} is required`);
  return v;
}

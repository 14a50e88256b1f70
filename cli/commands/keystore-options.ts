/**
 * The key-store flags shared by `cardline kiosk` and `cardline keystore
 * check|seal`, and their translation into the kiosk config's `keyStore` key
 * (kiosk/config.ts validates the values and names the key when one is bad).
 */
import type { OptionSpec, ParsedOptions } from '../command.js';
import { UsageError } from '../command.js';

export const keyStoreOptions: Record<string, OptionSpec> = {
  'key-store': { type: 'string', arg: 'KIND', description: 'Where the private keys are sealed: sealed-file (default) or tpm' },
  'machine-secret': { type: 'string', arg: 'FILE', description: 'sealed-file: the machine secret (default /etc/cardline/machine-secret)' },
  'key-file': { type: 'string', arg: 'FILE', description: 'sealed-file: the sealed store (default <identity>/keys.sealed)' },
  'tpm-tcti': { type: 'string', arg: 'TCTI', description: 'tpm: the TPM, e.g. device:/dev/tpmrm0 (default tabrmd:bus_type=system)' },
  'tpm-pcrs': { type: 'string', arg: 'SEL', description: 'tpm: the PCR policy of the sealed keys (default sha256:0,1,2,3,7)' },
  'tpm-dir': { type: 'string', arg: 'DIR', description: 'tpm: the sealed objects and the TLS key (default <identity>/tpm)' },
};

const FLAGS = {
  'sealed-file': { 'machine-secret': 'machineSecretFile', 'key-file': 'file' },
  tpm: { 'tpm-tcti': 'tcti', 'tpm-pcrs': 'pcrs', 'tpm-dir': 'dir' },
} as const;

/** The `keyStore` config value from --key-store and its kind's flags; a flag of the other kind is a usage error. */
export function keyStoreOf(opts: ParsedOptions, kindFlag = 'key-store'): Record<string, unknown> {
  const kind = opts[kindFlag] ?? 'sealed-file';
  if (kind !== 'sealed-file' && kind !== 'tpm') throw new UsageError(`--${kindFlag} must be sealed-file or tpm`);
  const out: Record<string, unknown> = { kind };
  for (const [k, flags] of Object.entries(FLAGS)) {
    for (const [flag, key] of Object.entries(flags)) {
      if (typeof opts[flag] !== 'string') continue;
      if (k !== kind) throw new UsageError(`--${flag} is for --${kindFlag} ${k}`);
      out[key] = opts[flag];
    }
  }
  return out;
}

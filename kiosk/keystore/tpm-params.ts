/**
 * The TPM store's two settings as text, checked once (kiosk/config.ts and
 * the CLI use the same checks):
 *
 * - The TCTI (TCG TSS 2.0 TCTI specification; tpm2-tools' `-T` syntax):
 *   `device:/dev/tpmrm0` (the kernel's resource manager),
 *   `tabrmd:bus_type=system` (tpm2-abrmd), `swtpm:host=127.0.0.1,port=N`
 *   (the software TPM, tests), `mssim:…`.
 * - The PCR selection of the policy (tpm2-tools' PCR selection list):
 *   `sha256:0,1,2,3,7`, banks joined by `+`. PCRs 0..23 (TCG PC Client
 *   Platform TPM Profile §4.6: 24 PCRs per bank).
 */

/** A TCTI without a resource manager leaves transient objects in the TPM: they are flushed after every step (DESIGN §8). */
export function tctiNeedsFlush(tcti: string): boolean {
  return !(tcti.startsWith('tabrmd') || tcti.startsWith('device:/dev/tpmrm'));
}

/** Undefined when valid, else the reason. */
export function checkTcti(tcti: string): string | undefined {
  if (tcti.length > 200 || !/^(device|tabrmd|swtpm|mssim)(:[A-Za-z0-9_=.,:/-]*)?$/.test(tcti)) {
    return 'must be device:/dev/tpmrmN, tabrmd[:bus_type=system|session], swtpm:host=H,port=P or mssim:…';
  }
  return undefined;
}

const BANKS = new Set(['sha1', 'sha256', 'sha384', 'sha512', 'sm3_256']);

/** Undefined when valid, else the reason. */
export function checkPcrSelection(text: string): string | undefined {
  if (text.length > 200) return 'too long';
  const seen = new Set<string>();
  for (const part of text.split('+')) {
    const m = /^([a-z0-9_]+):([0-9]{1,2}(?:,[0-9]{1,2})*)$/.exec(part);
    if (!m) return `'${part.slice(0, 20)}' is not BANK:PCR[,PCR…] (e.g. sha256:0,1,2,3,7)`;
    const [, bank, list] = m as unknown as [string, string, string];
    if (!BANKS.has(bank)) return `unknown PCR bank '${bank}'`;
    if (seen.has(bank)) return `bank ${bank} given twice`;
    seen.add(bank);
    const pcrs = list.split(',').map(Number);
    if (pcrs.some((p) => p > 23)) return 'PCR indexes are 0..23';
    if (new Set(pcrs).size !== pcrs.length) return `a PCR given twice in ${bank}`;
  }
  return undefined;
}

/** The default policy: firmware (0), its configuration (1), option ROMs (2, 3) and Secure Boot state (7) — docs/keystore.md "PCR choice". */
export const DEFAULT_PCRS = 'sha256:0,1,2,3,7';
/** Production default: tpm2-abrmd on the system bus, which the tpm2 OpenSSL provider needs too (DESIGN §8). */
export const DEFAULT_TCTI = 'tabrmd:bus_type=system';

/**
 * The running center's issuing CA (center/fleet/ca.ts `FleetCa`) made from
 * provisioning/pki/issuing.ts: center/ may not import provisioning/, so the
 * CLI composes them (`startCenter({ fleetCa: pkiFleetCa })`). The CA is
 * loaded again for every request, so a CA re-issued on disk is used without
 * a restart.
 */
import type { FleetCa } from '../../center/fleet/ca.js';
import { PkiError } from '../../provisioning/pki/errors.js';
import { certifyKioskRequest, loadIssuingCa, publishCrl, revokeSerials } from '../../provisioning/pki/issuing.js';

/** A request the CA refused for its own faults (signature, key type, CN): code INVALID_ARGUMENT, as FleetCa says. */
class RequestRefused extends Error {
  override readonly name = 'RequestRefused';
  readonly code = 'INVALID_ARGUMENT';
}

export const pkiFleetCa: FleetCa = {
  async certify(pkiDir, csrPem, o) {
    const ca = await loadIssuingCa(pkiDir);
    try {
      return await certifyKioskRequest(ca, csrPem, { kioskId: o.kioskId, days: o.days, random: o.random, clock: o.clock });
    } catch (e) {
      if (e instanceof PkiError && (e.code === 'INVALID_ARGUMENT' || e.code === 'INVALID_ID')) throw new RequestRefused(e.message.replace(/^[A-Z_]+: /, ''));
      throw e;
    }
  },
  revokeSerials: (pkiDir, entries, o) => revokeSerials(pkiDir, entries, o),
  publishCrl: (pkiDir, o) => publishCrl(pkiDir, o),
};

/**
 * The enrolment endpoint's issuing CA (center/enrol/handler.ts
 * `EnrolIssuer`) made from the PKI directory: center/ may not import
 * provisioning/, so the CLI composes them. The issuing CA is loaded again
 * for every request, so a CA re-issued on disk is used without a restart.
 */
import type { Clock } from '../../common/clock.js';
import { EnrolError } from '../../center/enrol/errors.js';
import type { EnrolIssuer } from '../../center/enrol/handler.js';
import { PkiError } from '../../provisioning/pki/errors.js';
import { certifyKioskRequest, loadIssuingCa } from '../../provisioning/pki/issuing.js';

export const DEFAULT_ENROL_DAYS = 90;

export function pkiEnrolIssuer(pkiDir: string, o: { random: (n: number) => Uint8Array; clock: Clock; days?: number }): EnrolIssuer {
  return {
    async certify(csrPem, kioskId) {
      const ca = await loadIssuingCa(pkiDir);
      try {
        const c = await certifyKioskRequest(ca, csrPem, { kioskId, days: o.days ?? DEFAULT_ENROL_DAYS, random: o.random, clock: o.clock });
        return { ...c, caPem: ca.rootPem };
      } catch (e) {
        // The request's own faults (signature, key type, CN): the kiosk's to fix. Anything else is the center's.
        if (e instanceof PkiError && (e.code === 'INVALID_ARGUMENT' || e.code === 'INVALID_ID')) throw new EnrolError('csr-invalid', e.message.replace(/^[A-Z_]+: /, ''));
        throw e;
      }
    },
  };
}

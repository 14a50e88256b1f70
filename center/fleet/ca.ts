/**
 * What the running center needs of the online issuing CA
 * (docs/provisioning.md §1): certify a renewal request, put serials on the
 * CRL, re-sign the CRL when it is due. center/ may not import
 * provisioning/ (center/README.md), so the CA is injected: the composition
 * root passes provisioning/pki/issuing.ts behind this shape
 * (cli/commands/fleet-ca.ts `pkiFleetCa`). Without it the center still
 * revokes in its registry and kicks the kiosk, but certifies nothing and
 * leaves the CRL file alone (a warning at start says so).
 */
import type { Clock } from '../../common/clock.js';

export interface CertifiedCert {
  /** The kiosk certificate followed by the issuing CA certificate. */
  pem: string;
  /** Lower-case hex, as the CRL lists it. */
  serial: string;
  /** X509Certificate.fingerprint256, as the registry keeps it. */
  fingerprint: string;
  notAfter: Date;
}

/** CRL reason codes (RFC 5280 §5.3.1) the fleet uses. */
export type CrlReason = 'privilegeWithdrawn' | 'cessationOfOperation' | 'superseded';

export interface CaContext {
  random: (n: number) => Uint8Array;
  clock: Clock;
}

export interface FleetCa {
  /**
   * Certifies a kiosk's PKCS#10 request with the kiosk profile (CN = the
   * kiosk ID). Throws an error with code INVALID_ARGUMENT when the request
   * is not acceptable (its message names what, never echoes the request).
   */
  certify(pkiDir: string, csrPem: string, o: CaContext & { kioskId: string; days: number }): Promise<CertifiedCert>;
  /**
   * Puts serials on the issuing CA's CRL and re-signs `ca/crl.pem`
   * (idempotent per serial). `notAfter`, the certificate's end, lets the CA
   * drop the entry once the certificate has expired (docs/pki.md).
   */
  revokeSerials(pkiDir: string, entries: { serial: string; reason: CrlReason; notAfter?: Date }[], o: CaContext): Promise<unknown>;
  /** Re-signs the CRL when less than half its validity remains (or `force`). */
  publishCrl(pkiDir: string, o: CaContext & { force?: boolean }): Promise<{ republished: boolean; nextUpdate: Date }>;
}

/** An error from the CA that says the request itself was refused (not the CA failing). */
export function isRequestRefused(e: unknown): e is Error & { code: string } {
  return e instanceof Error && (e as { code?: unknown }).code === 'INVALID_ARGUMENT';
}

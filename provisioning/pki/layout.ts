/**
 * Where every file of a development PKI lives (docs/pki.md). Pure: it only
 * joins paths, so the center, the kiosk and the tests find files without
 * creating anything.
 *
 * <dir>/ca/ca.crt, ca.key, crl.pem
 * <dir>/broker/tls.crt, tls.key
 * <dir>/center/tls.crt, tls.key, signing.key, signing.pub, data.key, audit.key, issuer-master.key
 * <dir>/kiosks/<id>/tls.crt, ca.crt, center-signing.pub, signing.pub, sealing.pub,
 *                    keys.sealed, machine-secret (dev only)
 *
 * A kiosk's private keys (TLS, signing, sealing) exist only inside its
 * sealed key store keys.sealed (kiosk/keystore/, docs/keystore.md), never
 * as plain files.
 */
import { join, resolve } from 'node:path';
import { ID_PATTERN } from '../../wire/messages.js';
import { PkiError } from './errors.js';

/** CN of the broker's server certificate (OU=broker). */
export const BROKER_CN = 'cardline-broker';
/** CN of the center's client certificate (OU=center), used by its bridge. */
export const CENTER_CN = 'cardline-center';
/**
 * Kiosk IDs may not begin with this: it names the services. The broker
 * takes a kiosk's MQTT client ID from its CN and gives the center the client
 * IDs `cardline-center` and `cardline-center-*`, so a kiosk named like a
 * service could take over the center's session (MQTT 3.1.1 §3.1.4: a second
 * connection with the same client ID closes the first).
 */
export const RESERVED_PREFIX = 'cardline-';

export interface CaFiles {
  dir: string;
  cert: string;
  /** Secret (0600). */
  key: string;
  crl: string;
}

export interface BrokerFiles {
  dir: string;
  cert: string;
  key: string;
}

export interface CenterFiles {
  dir: string;
  cert: string;
  key: string;
  /** Ed25519 secret, hex (0600). */
  signingKey: string;
  /** Ed25519 public key, hex. */
  signingPub: string;
  /** 32 bytes, hex (0600): encrypts application data at rest. */
  dataKey: string;
  /** 32 bytes, hex (0600): keys the audit log's hashes of message bodies. */
  auditKey: string;
  /** 16 bytes, hex (0600): the issuer master key (KMC) the cards' ISD keys are diversified from. */
  issuerMasterKey: string;
}

export interface KioskFiles {
  id: string;
  dir: string;
  cert: string;
  /** Copy of the fleet CA certificate (to check the broker). */
  ca: string;
  /** Ed25519 public key, hex: the center checks what the kiosk signs with it. */
  signingPub: string;
  /** X25519 public key, hex: the center seals sealed-mode packages to it (wire/package.ts). */
  sealingPub: string;
  /** Copy of the center's signing public key (to check what the center sends). */
  centerSigningPub: string;
  /** The sealed key store (0600): the kiosk's TLS, signing and sealing keys, under the machine secret. */
  keyStore: string;
  /**
   * The machine secret the store is sealed under (0600). DEV ONLY: beside
   * the store it protects nothing; on a real kiosk it is provisioned outside
   * the identity directory (/etc/cardline/machine-secret) or the TPM store
   * is used (docs/keystore.md).
   */
  machineSecret: string;
}

export interface DevPkiLayout {
  dir: string;
  ca: CaFiles;
  broker: BrokerFiles;
  center: CenterFiles;
  /** By kiosk ID (an object without prototype: an ID like 'constructor' finds nothing it does not hold). */
  kiosks: Readonly<Record<string, KioskFiles>>;
}

/** The paths of a development PKI in `dir` with these kiosks. Throws PkiError INVALID_ID / DUPLICATE_ID. */
export function devPkiLayout(dir: string, kiosks: readonly string[]): DevPkiLayout {
  const root = resolve(dir);
  checkKioskIds(kiosks);
  const ca = join(root, 'ca');
  const broker = join(root, 'broker');
  const center = join(root, 'center');
  const byId = Object.create(null) as Record<string, KioskFiles>;
  for (const id of kiosks) byId[id] = kioskLayout(root, id);
  return {
    dir: root,
    ca: { dir: ca, cert: join(ca, 'ca.crt'), key: join(ca, 'ca.key'), crl: join(ca, 'crl.pem') },
    broker: { dir: broker, cert: join(broker, 'tls.crt'), key: join(broker, 'tls.key') },
    center: {
      dir: center,
      cert: join(center, 'tls.crt'),
      key: join(center, 'tls.key'),
      signingKey: join(center, 'signing.key'),
      signingPub: join(center, 'signing.pub'),
      dataKey: join(center, 'data.key'),
      auditKey: join(center, 'audit.key'),
      issuerMasterKey: join(center, 'issuer-master.key'),
    },
    kiosks: byId,
  };
}

/** The paths of one kiosk's files. */
export function kioskLayout(dir: string, id: string): KioskFiles {
  checkKioskId(id);
  const k = join(resolve(dir), 'kiosks', id);
  return {
    id,
    dir: k,
    cert: join(k, 'tls.crt'),
    ca: join(k, 'ca.crt'),
    signingPub: join(k, 'signing.pub'),
    sealingPub: join(k, 'sealing.pub'),
    centerSigningPub: join(k, 'center-signing.pub'),
    keyStore: join(k, 'keys.sealed'),
    machineSecret: join(k, 'machine-secret'),
  };
}

/** A kiosk ID: the wire's ID pattern (it becomes a topic level and a CN), and not a service's name. */
export function checkKioskId(id: string): void {
  if (typeof id !== 'string' || !ID_PATTERN.test(id)) {
    throw new PkiError('INVALID_ID', `kiosk ID must be 1..64 characters of [A-Za-z0-9._-], starting alphanumeric`);
  }
  if (id.toLowerCase().startsWith(RESERVED_PREFIX)) throw new PkiError('INVALID_ID', `kiosk ID '${id}' begins with '${RESERVED_PREFIX}', which is reserved for services`);
}

function checkKioskIds(ids: readonly string[]): void {
  const seen = new Set<string>();
  for (const id of ids) {
    checkKioskId(id);
    if (seen.has(id)) throw new PkiError('DUPLICATE_ID', `kiosk ID '${id}' given twice`);
    seen.add(id);
  }
}

/**
 * Where every file of a development PKI lives (docs/pki.md). Pure: it only
 * joins paths, so the center, the kiosk and the tests find files without
 * creating anything.
 *
 * <dir>/root/root.crt, root.key, root-crl.pem, revoked.json (dev only: production keeps ROOTDIR offline)
 * <dir>/ca/ca.crt (the root: trust anchor), issuing.crt, issuing.key, root-crl.pem, revoked.json, crl.pem
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

/**
 * The root CA's directory (ROOTDIR of `pki root init`; `<dir>/root` in a
 * development PKI). It signs the issuing CAs and the root CRL, nothing else.
 */
export interface RootFiles {
  dir: string;
  /** The root certificate (self-signed, pathLen 1). */
  cert: string;
  /** Secret (0600): the root's private key. */
  key: string;
  /** The root's latest CRL (revokes issuing CAs), PEM. */
  crl: string;
  /** The root's revocation list and cRLNumber (revocation-list.ts). */
  revoked: string;
  /** Held while the root's list is rewritten (lock-file.ts). */
  lock: string;
}

/** The online issuing CA and what brokers load (docs/provisioning.md §1). */
export interface CaFiles {
  dir: string;
  /** The ROOT certificate: the trust anchor every party is given (name kept from the one-tier layout). */
  cert: string;
  /** The issuing CA's certificate (pathLen 0, signed by the root). */
  issuingCert: string;
  /** Secret (0600): the issuing CA's private key. */
  issuingKey: string;
  /** Copy of the root's CRL (signed offline). */
  rootCrl: string;
  /** The issuing CA's revocation list and cRLNumber (revocation-list.ts). */
  revoked: string;
  /** Held while revoked.json and crl.pem are rewritten (lock-file.ts). */
  lock: string;
  /** What brokers load: the root CRL, then the issuing CA's CRL. */
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
  /** Copy of the root certificate, the trust anchor (to check the broker). */
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
  /** The root CA (dev only: in production ROOTDIR stays offline). */
  root: RootFiles;
  ca: CaFiles;
  broker: BrokerFiles;
  center: CenterFiles;
  /** By kiosk ID (an object without prototype: an ID like 'constructor' finds nothing it does not hold). */
  kiosks: Readonly<Record<string, KioskFiles>>;
}

/** The paths of a development PKI in `dir` with these kiosks. Throws PkiError INVALID_ID / DUPLICATE_ID. */
export function devPkiLayout(dir: string, kiosks: readonly string[]): DevPkiLayout {
  const base = resolve(dir);
  checkKioskIds(kiosks);
  const broker = join(base, 'broker');
  const center = join(base, 'center');
  const byId = Object.create(null) as Record<string, KioskFiles>;
  for (const id of kiosks) byId[id] = kioskLayout(base, id);
  return {
    dir: base,
    root: rootLayout(join(base, 'root')),
    ca: caLayout(base),
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

/** The files of a root CA directory (`pki root init ROOTDIR`). */
export function rootLayout(rootDir: string): RootFiles {
  const d = resolve(rootDir);
  return { dir: d, cert: join(d, 'root.crt'), key: join(d, 'root.key'), crl: join(d, 'root-crl.pem'), revoked: join(d, 'revoked.json'), lock: join(d, 'revoked.json.lock') };
}

/** The CA files of a PKI directory: `<pkiDir>/ca/…` (the issuing CA, the trust anchor, the CRLs). */
export function caLayout(pkiDir: string): CaFiles {
  const ca = join(resolve(pkiDir), 'ca');
  return {
    dir: ca,
    cert: join(ca, 'ca.crt'),
    issuingCert: join(ca, 'issuing.crt'),
    issuingKey: join(ca, 'issuing.key'),
    rootCrl: join(ca, 'root-crl.pem'),
    revoked: join(ca, 'revoked.json'),
    lock: join(ca, 'revoked.json.lock'),
    crl: join(ca, 'crl.pem'),
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

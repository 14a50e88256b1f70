/**
 * X.509 CRLs (RFC 5280 §5.1) read straight from their DER, and their
 * signatures checked with node:crypto. Node built-ins only, so both the
 * provisioning side (revoked.json against crl.pem) and the center (what the
 * broker may load) use the same reader.
 *
 * Why not @peculiar/x509: its parser (asn1js) refuses more than 10,000
 * ASN.1 nodes, about 1,250 CRL entries, so a fleet that revoked that many
 * certificates could no longer re-sign its CRL. This walker has no node
 * limit: it reads the fixed CertificateList structure field by field, each
 * TLV bounded by its parent, definite lengths only (X.690 §10.1, DER), and
 * walks the entries in a loop, not by recursion. The caller bounds the
 * input (a CRL file is read with a size limit). Pure.
 */
import { verify, type X509Certificate } from 'node:crypto';

export type CrlDerErrorCode = 'MALFORMED' | 'UNSUPPORTED';

/** A CRL that cannot be read: MALFORMED (not DER of RFC 5280's CertificateList), UNSUPPORTED (a signature algorithm or critical extension we do not handle). */
export class CrlDerError extends Error {
  constructor(
    readonly code: CrlDerErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'CrlDerError';
  }
}

export interface CrlDer {
  /** TBSCertList, the signed bytes (tag and length included). */
  tbs: Buffer;
  /** signatureAlgorithm, dotted OID (RFC 5280 §5.1.1.2: the same as tbsCertList.signature). */
  signatureOid: string;
  /** The signatureValue BIT STRING's bits (DER ECDSA-Sig-Value for ECDSA). */
  signature: Buffer;
  /** The issuer Name, DER (compared byte for byte with the CA's subject). */
  issuer: Buffer;
  thisUpdate: Date;
  nextUpdate: Date | undefined;
  /** The revoked serials, lower-case hex, leading zero bytes dropped (as revocation-list.ts canonicalSerial). */
  serials: string[];
  /** cRLNumber (RFC 5280 §5.2.3) when present and a safe non-negative integer. */
  crlNumber: number | undefined;
}

const CRL_NUMBER_OID = '2.5.29.20';
/** Signature algorithms we verify (RFC 5758 §3.2 ECDSA, RFC 4055 §5 RSA PKCS #1 v1.5) and their hashes. */
const SIGNATURE_HASHES: Readonly<Record<string, string>> = {
  '1.2.840.10045.4.3.2': 'sha256',
  '1.2.840.10045.4.3.3': 'sha384',
  '1.2.840.10045.4.3.4': 'sha512',
  '1.2.840.113549.1.1.11': 'sha256',
  '1.2.840.113549.1.1.12': 'sha384',
  '1.2.840.113549.1.1.13': 'sha512',
};

const SEQUENCE = 0x30;
const INTEGER = 0x02;
const BIT_STRING = 0x03;
const OCTET_STRING = 0x04;
const OID = 0x06;
const BOOLEAN = 0x01;
const UTC_TIME = 0x17;
const GENERALIZED_TIME = 0x18;
const EXTENSIONS_TAG = 0xa0; // [0] EXPLICIT Extensions (RFC 5280 §5.1)

interface Tlv {
  tag: number;
  start: number;
  body: number;
  end: number;
}

/** TLVs one after the other inside [at, limit) of `der`. */
class Reader {
  constructor(
    private readonly der: Buffer,
    private at: number,
    private readonly limit: number,
  ) {}

  get done(): boolean {
    return this.at >= this.limit;
  }

  peekTag(): number | undefined {
    return this.done ? undefined : this.der[this.at];
  }

  next(tag: number, what: string): Tlv {
    const t = readTlv(this.der, this.at, this.limit, what);
    if (t.tag !== tag) throw malformed(`${what}: tag 0x${t.tag.toString(16)}, expected 0x${tag.toString(16)}`);
    this.at = t.end;
    return t;
  }

  inside(t: Tlv): Reader {
    return new Reader(this.der, t.body, t.end);
  }

  end(what: string): void {
    if (!this.done) throw malformed(`${what}: unexpected data after its last field`);
  }
}

/** One DER TLV at `at`, within `limit`: low tag numbers, definite minimal lengths up to 4 octets. */
function readTlv(der: Buffer, at: number, limit: number, what: string): Tlv {
  if (at + 2 > limit) throw malformed(`${what}: truncated`);
  const tag = der[at]!;
  if ((tag & 0x1f) === 0x1f) throw malformed(`${what}: high tag number`);
  let len = der[at + 1]!;
  let body = at + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0) throw malformed(`${what}: indefinite length (not DER)`);
    if (n > 4 || body + n > limit) throw malformed(`${what}: length out of bounds`);
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + der[body + i]!;
    if (len < 0x80 || der[body] === 0) throw malformed(`${what}: length not minimal (not DER)`);
    body += n;
  }
  if (body + len > limit) throw malformed(`${what}: length runs past its container`);
  return { tag, start: at, body, end: body + len };
}

/** Parses a CRL's DER. CrlDerError MALFORMED / UNSUPPORTED naming the field. */
export function parseCrlDer(der: Uint8Array): CrlDer {
  const buf = Buffer.from(der.buffer, der.byteOffset, der.byteLength);
  const outer = readTlv(buf, 0, buf.length, 'CertificateList');
  if (outer.tag !== SEQUENCE || outer.end !== buf.length) throw malformed('CertificateList: not one SEQUENCE');
  const top = new Reader(buf, outer.body, outer.end);
  const tbsT = top.next(SEQUENCE, 'tbsCertList');
  const algT = top.next(SEQUENCE, 'signatureAlgorithm');
  const sigT = top.next(BIT_STRING, 'signatureValue');
  top.end('CertificateList');
  if (sigT.end - sigT.body < 2 || buf[sigT.body] !== 0) throw malformed('signatureValue: not whole octets');

  const tbs = top.inside(tbsT);
  if (tbs.peekTag() === INTEGER) {
    const v = tbs.next(INTEGER, 'version');
    if (v.end - v.body !== 1 || buf[v.body] !== 1) throw malformed('version: only v2 (1) may be written (RFC 5280 §5.1.2.1)');
  }
  const innerAlg = tbs.next(SEQUENCE, 'signature');
  if (!buf.subarray(innerAlg.start, innerAlg.end).equals(buf.subarray(algT.start, algT.end))) throw malformed('signature differs from signatureAlgorithm (RFC 5280 §5.1.1.2)');
  const issuerT = tbs.next(SEQUENCE, 'issuer');
  const thisUpdate = readTime(buf, tbs, 'thisUpdate');
  const nextTag = tbs.peekTag();
  const nextUpdate = nextTag === UTC_TIME || nextTag === GENERALIZED_TIME ? readTime(buf, tbs, 'nextUpdate') : undefined;
  const serials: string[] = [];
  if (tbs.peekTag() === SEQUENCE) {
    const list = tbs.inside(tbs.next(SEQUENCE, 'revokedCertificates'));
    while (!list.done) {
      const entry = list.inside(list.next(SEQUENCE, `revokedCertificates[${serials.length}]`));
      serials.push(serialHex(buf, entry.next(INTEGER, `revokedCertificates[${serials.length}].userCertificate`)));
      readTime(buf, entry, 'revocationDate');
      if (!entry.done) entry.next(SEQUENCE, 'crlEntryExtensions');
      entry.end('revokedCertificates entry');
    }
  }
  let crlNumber: number | undefined;
  if (tbs.peekTag() === EXTENSIONS_TAG) crlNumber = readExtensions(buf, tbs.inside(tbs.next(EXTENSIONS_TAG, 'crlExtensions')));
  tbs.end('tbsCertList');

  return {
    tbs: buf.subarray(tbsT.start, tbsT.end),
    signatureOid: algorithmOid(buf, top.inside(algT)),
    signature: buf.subarray(sigT.body + 1, sigT.end),
    issuer: buf.subarray(issuerT.start, issuerT.end),
    thisUpdate,
    nextUpdate,
    serials,
    crlNumber,
  };
}

/** The DER of one PEM block labelled X509 CRL (RFC 7468 §5). CrlDerError MALFORMED otherwise. */
export function crlDerOfPem(pem: string): Buffer {
  const m = /^\s*-----BEGIN X509 CRL-----\r?\n([A-Za-z0-9+/=\r\n]*)-----END X509 CRL-----\s*$/.exec(pem);
  if (!m) throw malformed('not one PEM block labelled X509 CRL');
  return Buffer.from(m[1]!.replace(/\s/g, ''), 'base64');
}

/** The subject Name of a certificate, DER (RFC 5280 §4.1: the sixth field of TBSCertificate). */
export function subjectDer(cert: X509Certificate): Buffer {
  const raw = cert.raw;
  const outer = readTlv(raw, 0, raw.length, 'Certificate');
  const tbs = new Reader(raw, outer.body, outer.end).next(SEQUENCE, 'tbsCertificate');
  const r = new Reader(raw, tbs.body, tbs.end);
  if (r.peekTag() === EXTENSIONS_TAG) r.next(EXTENSIONS_TAG, 'version');
  r.next(INTEGER, 'serialNumber');
  r.next(SEQUENCE, 'signature');
  r.next(SEQUENCE, 'issuer');
  r.next(SEQUENCE, 'validity');
  const subject = r.next(SEQUENCE, 'subject');
  return raw.subarray(subject.start, subject.end);
}

/**
 * True when `crl` names `cert`'s subject as its issuer (byte for byte) and
 * its signature verifies with `cert`'s public key. CrlDerError UNSUPPORTED
 * for a signature algorithm outside SIGNATURE_HASHES.
 */
export function crlSignedBy(crl: CrlDer, cert: X509Certificate): boolean {
  const hash = SIGNATURE_HASHES[crl.signatureOid];
  if (hash === undefined) throw new CrlDerError('UNSUPPORTED', `signature algorithm ${crl.signatureOid}`);
  if (!crl.issuer.equals(subjectDer(cert))) return false;
  try {
    return verify(hash, crl.tbs, { key: cert.publicKey, dsaEncoding: 'der' }, crl.signature);
  } catch {
    return false; // a key of another type, a signature that is not DER
  }
}

function readTime(buf: Buffer, r: Reader, what: string): Date {
  const tag = r.peekTag();
  const t = r.next(tag === GENERALIZED_TIME ? GENERALIZED_TIME : UTC_TIME, what);
  const text = buf.toString('latin1', t.body, t.end);
  // RFC 5280 §5.1.2.4: UTCTime YYMMDDHHMMSSZ (50..99 → 19xx), GeneralizedTime YYYYMMDDHHMMSSZ.
  const m = tag === GENERALIZED_TIME ? /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(text) : /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(text);
  if (!m) throw malformed(`${what}: not a DER time`);
  let year = Number(m[1]);
  if (tag !== GENERALIZED_TIME) year += year >= 50 ? 1900 : 2000;
  const ms = Date.UTC(year, Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]));
  if (Number.isNaN(ms)) throw malformed(`${what}: not a date`);
  return new Date(ms);
}

/** Walks crlExtensions; returns cRLNumber. A critical extension is refused: we understand none (RFC 5280 §5.2). */
function readExtensions(buf: Buffer, outer: Reader): number | undefined {
  const list = outer.inside(outer.next(SEQUENCE, 'Extensions'));
  outer.end('crlExtensions');
  let crlNumber: number | undefined;
  while (!list.done) {
    const ext = list.inside(list.next(SEQUENCE, 'Extension'));
    const oid = oidText(buf, ext.next(OID, 'extnID'));
    if (ext.peekTag() === BOOLEAN) {
      const c = ext.next(BOOLEAN, 'critical');
      if (c.end - c.body === 1 && buf[c.body] !== 0) throw new CrlDerError('UNSUPPORTED', `critical CRL extension ${oid}`);
    }
    const value = ext.next(OCTET_STRING, 'extnValue');
    ext.end('Extension');
    if (oid !== CRL_NUMBER_OID) continue;
    const inner = new Reader(buf, value.body, value.end);
    const n = inner.next(INTEGER, 'cRLNumber');
    inner.end('cRLNumber');
    crlNumber = safeUnsigned(buf.subarray(n.body, n.end));
  }
  return crlNumber;
}

function algorithmOid(buf: Buffer, r: Reader): string {
  return oidText(buf, r.next(OID, 'algorithm'));
}

/** X.690 §8.19: the first octet holds the first two arcs, then base-128 arcs. */
function oidText(buf: Buffer, t: Tlv): string {
  if (t.end === t.body || t.end - t.body > 64) throw malformed('OID: empty or too long');
  const arcs: number[] = [];
  let v = 0;
  for (let i = t.body; i < t.end; i++) {
    const b = buf[i]!;
    v = v * 128 + (b & 0x7f);
    if (v > Number.MAX_SAFE_INTEGER / 128) throw malformed('OID: arc too large');
    if ((b & 0x80) === 0) {
      if (arcs.length === 0) arcs.push(v < 80 ? Math.floor(v / 40) : 2, v < 80 ? v % 40 : v - 80);
      else arcs.push(v);
      v = 0;
    }
  }
  if ((buf[t.end - 1]! & 0x80) !== 0) throw malformed('OID: truncated arc');
  return arcs.join('.');
}

function serialHex(buf: Buffer, t: Tlv): string {
  if (t.end === t.body || t.end - t.body > 21) throw malformed('userCertificate: serial of 1..20 octets expected (RFC 5280 §4.1.2.2)');
  let b = buf.subarray(t.body, t.end);
  while (b.length > 1 && b[0] === 0) b = b.subarray(1);
  return b.toString('hex');
}

function safeUnsigned(bytes: Buffer): number | undefined {
  if (bytes.length === 0 || bytes.length > 7 || (bytes[0]! & 0x80) !== 0) return undefined;
  let n = 0;
  for (const b of bytes) n = n * 256 + b;
  return Number.isSafeInteger(n) ? n : undefined;
}

function malformed(message: string): CrlDerError {
  return new CrlDerError('MALFORMED', message);
}

/**
 * The EEPROM image's body: CardState to plain JSON values and back. Byte
 * fields are base64; maps become arrays of { tag, value } in tag order, so
 * the same state always encodes to the same JSON (the checksum in
 * image-store.ts depends on it).
 *
 * Decoding checks every field's type and range (AES key lengths, the i
 * parameter, life cycle and security level codes, a well-formed ATR, records
 * that fit their EF) and throws SimCardError `IMAGE_CORRUPT` naming the
 * field (never its value).
 */
import { isValidLevel } from '../../../card/scp03/types.js';
import { checkAtr } from './atr.js';
import { SimCardError } from './errors.js';
import { isCardLifeCycle } from './life-cycle.js';
import { VALID_I } from './profile.js';
import type { AppState, CardState, DfNode, EfNode, FsNode, IsdState, KeySetState } from './state.js';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type Obj = { [k: string]: Json };

const b64 = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('base64');

function mapOut(m: Map<number, Uint8Array>): Json[] {
  return [...m.entries()].sort((a, b) => a[0] - b[0]).map(([tag, value]) => ({ tag, value: b64(value) }));
}

function nodeOut(n: FsNode): Obj {
  if (n.kind === 'df') return { kind: 'df', fid: n.fid, name: n.name === undefined ? null : b64(n.name), children: n.children.map(nodeOut) };
  return {
    kind: n.kind,
    fid: n.fid,
    sfi: n.sfi ?? null,
    data: b64(n.data),
    recordLength: n.recordLength,
    maxRecords: n.maxRecords,
    records: n.records.map(b64),
  };
}

export function encodeBody(s: CardState): Obj {
  return {
    atr: b64(s.atr),
    serial: b64(s.serial),
    kdd: b64(s.kdd),
    lifeCycle: s.lifeCycle,
    isd: {
      aid: b64(s.isd.aid),
      i: s.isd.i,
      counterOnlyWithData: s.isd.counterOnlyWithData,
      sequenceCounter: s.isd.sequenceCounter,
      iin: b64(s.isd.iin),
      cin: b64(s.isd.cin),
      keySets: s.isd.keySets.map((k) => ({ kvn: k.kvn, enc: b64(k.enc), mac: b64(k.mac), dek: b64(k.dek) })),
    },
    apps: s.apps.map((a) => ({
      aid: b64(a.aid),
      lifeCycle: a.lifeCycle,
      lockedFrom: a.lockedFrom ?? null,
      persoLevel: a.persoLevel,
      memoryLimit: a.memoryLimit,
      dgis: mapOut(a.dgis),
      secrets: mapOut(a.secrets),
    })),
    mf: nodeOut(s.mf),
  };
}

/** Field access with type checks; `path` names the field in errors. */
class Reader {
  constructor(
    private readonly v: unknown,
    private readonly path: string,
  ) {}

  private bad(why: string): SimCardError {
    return new SimCardError('IMAGE_CORRUPT', `image field ${this.path}: ${why}`);
  }

  private field(k: string): unknown {
    if (typeof this.v !== 'object' || this.v === null || Array.isArray(this.v)) throw this.bad('not an object');
    return (this.v as Record<string, unknown>)[k];
  }

  at(k: string): Reader {
    return new Reader(this.field(k), `${this.path}.${k}`);
  }

  int(k: string, min: number, max: number): number {
    const x = this.field(k);
    if (typeof x !== 'number' || !Number.isInteger(x) || x < min || x > max) throw this.at(k).bad(`not an integer in ${min}..${max}`);
    return x;
  }

  optInt(k: string, min: number, max: number): number | undefined {
    return this.field(k) === null ? undefined : this.int(k, min, max);
  }

  bool(k: string): boolean {
    const x = this.field(k);
    if (typeof x !== 'boolean') throw this.at(k).bad('not a boolean');
    return x;
  }

  str(k: string): string {
    const x = this.field(k);
    if (typeof x !== 'string') throw this.at(k).bad('not a string');
    return x;
  }

  bytes(k: string, min = 0, max = 0xffff): Uint8Array {
    return this.at(k).asBytes(min, max);
  }

  /** An AES key: 16, 24 or 32 bytes, nothing in between (a 20-byte "key" would only fail later, inside a session). */
  aesKey(k: string): Uint8Array {
    const b = this.bytes(k, 16, 32);
    if (b.length !== 16 && b.length !== 24 && b.length !== 32) throw this.at(k).bad(`${b.length} bytes is not an AES key`);
    return b;
  }

  optBytes(k: string): Uint8Array | undefined {
    return this.field(k) === null ? undefined : this.bytes(k);
  }

  asBytes(min = 0, max = 0xffff): Uint8Array {
    const x = this.v;
    if (typeof x !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(x) || x.length % 4 !== 0) throw this.bad('not base64');
    const b = new Uint8Array(Buffer.from(x, 'base64'));
    if (b.length < min || b.length > max) throw this.bad(`${b.length} bytes (expected ${min}..${max})`);
    return b;
  }

  list(k: string): Reader[] {
    const x = this.field(k);
    if (!Array.isArray(x)) throw this.at(k).bad('not an array');
    return x.map((item, i) => new Reader(item, `${this.path}.${k}[${i}]`));
  }
}

function mapIn(items: Reader[]): Map<number, Uint8Array> {
  const m = new Map<number, Uint8Array>();
  for (const r of items) m.set(r.int('tag', 0, 0xffff), r.bytes('value'));
  return m;
}

function keySetIn(r: Reader): KeySetState {
  const kvn = r.int('kvn', 1, 0xff);
  if (kvn > 0x7f && kvn !== 0xff) throw corrupt('body.isd.keySets: key version number');
  return { kvn, enc: r.aesKey('enc'), mac: r.aesKey('mac'), dek: r.aesKey('dek') };
}

function corrupt(what: string): SimCardError {
  return new SimCardError('IMAGE_CORRUPT', `image field ${what}: out of range`);
}

function isdIn(r: Reader): IsdState {
  const keySets = r.list('keySets').map(keySetIn);
  if (keySets.length === 0) throw new SimCardError('IMAGE_CORRUPT', 'image field body.isd.keySets: empty');
  const i = r.int('i', 0, 0xff);
  if (!VALID_I.includes(i)) throw corrupt('body.isd.i');
  return {
    aid: r.bytes('aid', 5, 16),
    keySets,
    i,
    counterOnlyWithData: r.bool('counterOnlyWithData'),
    sequenceCounter: r.int('sequenceCounter', 0, 0xffffff),
    iin: r.bytes('iin', 0, 16),
    cin: r.bytes('cin', 0, 16),
  };
}

function appIn(r: Reader): AppState {
  const persoLevel = r.int('persoLevel', 0, 0xff);
  // A level SCP03 does not have would make the application's demand unsatisfiable or void.
  if (!isValidLevel(persoLevel)) throw corrupt('body.apps[].persoLevel');
  return {
    aid: r.bytes('aid', 5, 16),
    lifeCycle: r.int('lifeCycle', 0, 0xff),
    lockedFrom: r.optInt('lockedFrom', 0, 0xff),
    persoLevel,
    memoryLimit: r.int('memoryLimit', 0, 1 << 20),
    dgis: mapIn(r.list('dgis')),
    secrets: mapIn(r.list('secrets')),
  };
}

function nodeIn(r: Reader, depth: number): FsNode {
  if (depth > 8) throw new SimCardError('IMAGE_CORRUPT', 'image file system nested too deep');
  const kind = r.str('kind');
  const fid = r.int('fid', 0, 0xffff);
  if (kind === 'df') {
    const df: DfNode = { kind: 'df', fid, name: r.optBytes('name'), children: r.list('children').map((c) => nodeIn(c, depth + 1)) };
    return df;
  }
  if (kind !== 'transparent' && kind !== 'linear-fixed' && kind !== 'linear-variable') {
    throw new SimCardError('IMAGE_CORRUPT', 'image file system: unknown file kind');
  }
  const ef: EfNode = {
    kind,
    fid,
    sfi: r.optInt('sfi', 1, 30),
    data: r.bytes('data'),
    recordLength: r.int('recordLength', 0, 255),
    maxRecords: r.int('maxRecords', 0, 254),
    records: r.list('records').map((x) => x.asBytes(0, 255)),
  };
  // The record commands rely on these (ISO 7816-4 §7.3): as many records as the EF holds, each of its length.
  const badRecord = ef.records.some((rec) => (kind === 'linear-fixed' ? rec.length !== ef.recordLength : rec.length > ef.recordLength));
  if (ef.records.length > ef.maxRecords || badRecord) throw corrupt(`file ${fid.toString(16)}: records`);
  return ef;
}

/** Decodes and validates an image body. Throws SimCardError `IMAGE_CORRUPT`. */
export function decodeBody(body: unknown): CardState {
  const r = new Reader(body, 'body');
  const mf = nodeIn(r.at('mf'), 0);
  if (mf.kind !== 'df' || mf.fid !== 0x3f00) throw new SimCardError('IMAGE_CORRUPT', 'image file system: root is not the MF');
  const atr = r.bytes('atr', 2, 33);
  try {
    checkAtr(atr);
  } catch {
    throw corrupt('body.atr');
  }
  const lifeCycle = r.int('lifeCycle', 0, 0xff);
  if (!isCardLifeCycle(lifeCycle)) throw corrupt('body.lifeCycle');
  return {
    atr,
    serial: r.bytes('serial', 4, 10),
    kdd: r.bytes('kdd', 10, 10),
    lifeCycle,
    isd: isdIn(r.at('isd')),
    apps: r.list('apps').map(appIn),
    mf,
  };
}

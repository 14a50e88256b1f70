/**
 * Checks of the inputs at the script module's boundary. Keys, challenges and
 * the IU response come from the key store and the kiosk; DGIs from the
 * applications store. A wrong shape is ScriptError `ARGUMENT_INVALID`, named
 * by field and length, never by value.
 */
import { MAX_DGI_LENGTH, type Dgi } from '../dgi.js';
import { AID_MAX, AID_MIN } from '../gp/constants.js';
import { ScriptError } from './errors.js';
import type { BuildScriptInput, CardSessionInput, CardStaticKeys, VerifyResultInput } from './types.js';

function invalid(message: string): ScriptError {
  return new ScriptError('ARGUMENT_INVALID', message);
}

function bytes(v: unknown, what: string, lengths?: readonly number[]): Uint8Array {
  if (!(v instanceof Uint8Array)) throw invalid(`${what} must be bytes`);
  if (lengths !== undefined && !lengths.includes(v.length)) {
    throw invalid(`${what} of ${v.length} bytes (expected ${lengths.join(' or ')})`);
  }
  return v;
}

function aid(v: unknown, what: string): void {
  const b = bytes(v, what);
  if (b.length < AID_MIN || b.length > AID_MAX) throw invalid(`${what} of ${b.length} bytes (expected ${AID_MIN}..${AID_MAX})`);
}

export function checkSessionInput(input: CardSessionInput): void {
  const p = input.profile as Partial<CardSessionInput['profile']> | undefined;
  if (typeof p !== 'object' || p === null) throw invalid('profile missing');
  aid(p.sdAid, 'profile sdAid');
  aid(p.appAid, 'profile appAid');
  if (!Number.isInteger(p.kvn) || p.kvn! < 0 || p.kvn! > 0xff) throw invalid('profile kvn out of range');
  if (p.securityLevel !== 0x33) throw invalid('profile security level must be 33');
  if (p.secretTags !== undefined && typeof p.secretTags !== 'function') throw invalid('profile secretTags must be a function');
  if ((input.kmc === undefined) === (input.cardKeys === undefined)) throw invalid('exactly one of KMC and card keys is needed');
  if (input.kmc !== undefined) bytes(input.kmc, 'KMC', [16, 32]);
  if (input.cardKeys !== undefined) {
    const k = input.cardKeys as Partial<CardStaticKeys>;
    const len = bytes(k.enc, 'card Key-ENC', [16, 32]).length;
    bytes(k.mac, 'card Key-MAC', [len]);
    bytes(k.dek, 'card Key-DEK', [len]);
  }
  bytes(input.hostChallenge, 'host challenge', [8]);
  // Its layout is the card's business: a bad one is CARD_UNREADABLE, found when parsed.
  bytes(input.iuResponse, 'INITIALIZE UPDATE response');
}

function checkDgis(dgis: unknown): void {
  if (!Array.isArray(dgis)) throw invalid('dgis must be a list');
  if (dgis.length === 0) throw invalid('no DGIs: nothing to write or compare');
  const seen = new Set<number>();
  (dgis as unknown[]).forEach((d, i) => {
    const { tag, value } = (d ?? {}) as Partial<Dgi>;
    if (!Number.isInteger(tag) || tag! < 0 || tag! > 0xffff) throw invalid(`DGI #${i}: tag out of range`);
    bytes(value, `DGI #${i} value`);
    if (value!.length > MAX_DGI_LENGTH) throw invalid(`DGI #${i}: value of ${value!.length} bytes`);
    // A repeated tag would be stored twice and read back once: no read-back could pass.
    if (seen.has(tag!)) throw invalid(`DGI #${i}: tag repeated`);
    seen.add(tag!);
  });
}

export function checkBuildInput(input: BuildScriptInput): void {
  if (typeof input !== 'object' || input === null) throw invalid('input missing');
  if (input.kind !== 'write' && input.kind !== 'inspect') throw invalid("kind must be 'write' or 'inspect'");
  checkSessionInput(input);
  checkDgis(input.dgis);
}

export function checkVerifyInput(input: VerifyResultInput): void {
  checkBuildInput(input);
  if (!Array.isArray(input.responses)) throw invalid('responses must be a list');
  input.responses.forEach((r, i) => bytes(r, `response #${i}`));
  const e = input.error;
  if (e !== undefined) {
    if (typeof e !== 'object' || e === null) throw invalid('error must be an object');
    if (!Number.isInteger(e.index) || e.index < 0) throw invalid('error index must be a non-negative integer');
    if (typeof e.code !== 'string') throw invalid('error code must be a string');
  }
}

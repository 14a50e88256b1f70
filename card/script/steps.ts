/**
 * The plain form of a script: one step per APDU, before secure messaging.
 * build.ts wraps them into APDUs; verify.ts wraps them again, step by step,
 * to check the responses with the same MAC chain (GPC Amd D §6.2.4: each
 * C-MAC chains on the one before, and each R-MAC on its command's C-MAC).
 *
 *   write:   EXTERNAL AUTHENTICATE, INSTALL [for personalization], STORE DATA…,
 *            GET STATUS (secured), SELECT app, read-backs and KCVs (plain)
 *   inspect: EXTERNAL AUTHENTICATE, GET STATUS (secured), SELECT app, read-backs and KCVs
 *
 * The read-backs come after SELECT of the application, which ends the SCP03
 * session (docs/sim-card.md, "Secure channel rules"), so they are plain.
 */
import { encodeCommand, type CommandApdu } from '../apdu.js';
import { zeroize } from '../bytes.js';
import type { Dgi } from '../dgi.js';
import { isCardError } from '../errors.js';
import { buildPersonalizationScript, getStatus, GET_STATUS_P1, INS, maxPlaintextPerBlock, selectByAid } from '../gp/index.js';
import type { HostSecureChannel } from '../scp03/index.js';
import { ScriptError } from './errors.js';
import { isSecretFor, type CardProfile } from './profile.js';
import { readBackCheck } from './read-back.js';
import type { ScriptKind, ScriptStep } from './types.js';

export interface PlainStep extends ScriptStep {
  /** The command before wrapping; absent for EXTERNAL AUTHENTICATE, which the channel builds. */
  readonly cmd?: CommandApdu;
  /** For read-back and kcv steps: the DGI the answer is compared with (the caller's value, not a copy). */
  readonly dgi?: Dgi;
}

export interface PlainScript {
  readonly steps: PlainStep[];
  readonly storeDataBlocks: number;
}

/** The steps of a `kind` script. `dek` is the channel's static Key-DEK (secret DGIs are encrypted under it). */
export function composeSteps(kind: ScriptKind, profile: CardProfile, dgis: readonly Dgi[], dek: Uint8Array): PlainScript {
  const secret = (tag: number): boolean => isSecretFor(profile, tag);
  const steps: PlainStep[] = [{ role: 'external-authenticate', secured: true }];
  let storeDataBlocks = 0;
  if (kind === 'write') {
    let perso;
    try {
      perso = buildPersonalizationScript({
        appAid: profile.appAid,
        dgis,
        dek,
        secretTags: secret,
        maxBlock: maxPlaintextPerBlock(profile.securityLevel),
      });
    } catch (e) {
      // Too many blocks for one personalization session, a value too long once encrypted.
      if (isCardError(e, 'ARGUMENT_INVALID')) throw new ScriptError('ARGUMENT_INVALID', e.message);
      throw e;
    }
    for (const cmd of perso.commands) {
      steps.push({ role: cmd.ins === INS.INSTALL ? 'install' : 'store-data', secured: true, cmd });
    }
    storeDataBlocks = perso.summary.storeDataBlocks;
  }
  // GPC v2.3.1 §11.4: GET STATUS needs the session; filtered to the application's AID.
  steps.push({ role: 'get-status', secured: true, cmd: getStatus(GET_STATUS_P1.APPLICATIONS, false, profile.appAid) });
  steps.push({ role: 'select-app', secured: false, cmd: selectByAid(profile.appAid) });
  for (const dgi of dgis) {
    const check = readBackCheck(dgi, secret(dgi.tag));
    if (check !== undefined) steps.push({ role: check.kind, secured: false, tag: dgi.tag, cmd: check.cmd, dgi });
  }
  return { steps, storeDataBlocks };
}

/**
 * The APDU of `step` as sent: EXTERNAL AUTHENTICATE from the channel, secured
 * steps wrapped (C-DECRYPTION then C-MAC, GPC Amd D §6.2.6, §6.2.4), the rest
 * as they are. Must be called for every step in order: wrapping advances the
 * MAC chain and the encryption counter.
 */
export function wireCommand(channel: HostSecureChannel, step: PlainStep): Uint8Array {
  if (step.role === 'external-authenticate') return encodeCommand(channel.externalAuthenticate());
  const cmd = step.cmd!;
  return encodeCommand(step.secured ? channel.wrap(cmd) : cmd);
}

/** Clears the plain STORE DATA fields (card data before C-DECRYPTION) once they are wrapped. */
export function clearPlain(script: PlainScript): void {
  for (const s of script.steps) if (s.role === 'store-data') zeroize(s.cmd?.data);
}

/** The public description of a step: role, secured and tag, nothing else. */
export function describe(step: PlainStep): ScriptStep {
  return step.tag === undefined ? { role: step.role, secured: step.secured } : { role: step.role, secured: step.secured, tag: step.tag };
}

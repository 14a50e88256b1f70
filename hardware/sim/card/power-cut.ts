/**
 * The tearing hook: a planned power failure, to prove that every command is
 * atomic (issue 2 §3 "Tearing safety").
 *
 * A plan counts from the moment it is set:
 * - `afterApdus: N` — the power fails during the N-th command APDU
 *   (N = 1: the next one).
 * - `afterBytes: N` — the power fails once N command bytes have arrived.
 *   If the N-th byte is not the last of its APDU, the command never fully
 *   arrived and nothing of it runs. If it is the last, the command is
 *   complete and the phase applies.
 * - `phase` (default 'before-commit'): 'before-commit' — the command runs
 *   but its writes are lost; 'after-commit' — its writes reach the EEPROM
 *   image but no response leaves the card.
 * With both counts set, whichever comes first fires. A plan fires once; the
 * card is then unpowered and transmit() rejects with SimPowerCutError.
 */
import { SimCardError, type PowerCutPhase } from './errors.js';

export interface PowerCutPlan {
  afterApdus?: number;
  afterBytes?: number;
  phase?: PowerCutPhase;
}

/** What the hook decides for one incoming APDU. */
export type PowerCutVerdict =
  | { readonly fire: false }
  | { readonly fire: true; readonly complete: boolean; readonly phase: PowerCutPhase; readonly detail: string };

function checkCount(v: number | undefined, what: string): void {
  if (v !== undefined && (!Number.isInteger(v) || v < 1)) throw new SimCardError('ARGUMENT_INVALID', `${what} must be an integer ≥ 1: ${v}`);
}

export class PowerCutHook {
  private plan: Required<Pick<PowerCutPlan, 'phase'>> & PowerCutPlan = { phase: 'before-commit' };
  private armed = false;
  private apdus = 0;
  private bytes = 0;

  /** Arms a plan (replacing any earlier one); no argument disarms. */
  set(plan?: PowerCutPlan): void {
    if (plan === undefined) {
      this.armed = false;
      return;
    }
    checkCount(plan.afterApdus, 'afterApdus');
    checkCount(plan.afterBytes, 'afterBytes');
    if (plan.afterApdus === undefined && plan.afterBytes === undefined) {
      throw new SimCardError('ARGUMENT_INVALID', 'a power cut needs afterApdus or afterBytes');
    }
    const phase = plan.phase ?? 'before-commit';
    if (phase !== 'before-commit' && phase !== 'after-commit') throw new SimCardError('ARGUMENT_INVALID', `power cut phase ${String(phase)}`);
    this.plan = { ...plan, phase };
    this.armed = true;
    this.apdus = 0;
    this.bytes = 0;
  }

  get isArmed(): boolean {
    return this.armed;
  }

  /** Counts one incoming APDU of `length` bytes and says whether the power fails during it. */
  onApdu(length: number): PowerCutVerdict {
    if (!this.armed) return { fire: false };
    this.apdus += 1;
    const bytesBefore = this.bytes;
    this.bytes += length;
    const { afterApdus, afterBytes, phase } = this.plan;
    const byApdu = afterApdus !== undefined && this.apdus >= afterApdus;
    const byBytes = afterBytes !== undefined && this.bytes >= afterBytes;
    if (!byApdu && !byBytes) return { fire: false };
    this.armed = false;
    // A byte cut inside the APDU comes first: the card never had the whole command.
    const midApdu = byBytes && afterBytes - bytesBefore < length;
    const complete = !midApdu;
    const detail = byBytes ? `byte ${afterBytes}` : `APDU ${this.apdus}`;
    return { fire: true, complete, phase, detail };
  }
}

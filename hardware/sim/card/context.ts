/**
 * What a command handler gets: the plain (unwrapped) command, its class,
 * the transaction over persistent state, the volatile session, and the
 * card's injected services.
 */
import type { CommandApdu } from '../../../card/apdu.js';
import type { Logger } from '../../../common/log.js';
import type { ClassInfo } from './cla.js';
import type { Session } from './session.js';
import type { Transaction } from './transaction.js';

export interface CommandContext {
  /** The command after secure-messaging unwrapping (CLA without b3). */
  readonly cmd: CommandApdu;
  readonly cls: ClassInfo;
  readonly tx: Transaction;
  readonly session: Session;
  readonly random: (n: number) => Uint8Array;
  readonly log: Logger;
}

/** True when an SCP03 session is authenticated (EXTERNAL AUTHENTICATE passed and not ended). */
export function authenticated(ctx: CommandContext): boolean {
  return ctx.session.channel?.authenticated === true;
}

/** The session's security level (GPC Amd D §7.1.2.1), 00 without a session. */
export function securityLevel(ctx: CommandContext): number {
  return authenticated(ctx) ? (ctx.session.channel?.securityLevel ?? 0) : 0;
}

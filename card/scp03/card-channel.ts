/**
 * Card side of an SCP03 secure channel, the mirror of HostSecureChannel, for
 * the simulated card: answers INITIALIZE UPDATE, verifies EXTERNAL
 * AUTHENTICATE, unwraps secured commands and protects responses
 * (GPC Amd D §6, §7.1).
 *
 * Failures surface as the status word the card sends (StatusWordError). As in
 * GlobalPlatform, any security failure terminates the Secure Channel Session:
 * the keys are zeroized and every later command is refused with 6982.
 */
import type { CommandApdu, ParsedCommandApdu, ResponseApdu } from '../apdu.js';
import { concat, equalBytes, u24be, zeroize } from '../bytes.js';
import { aesCbcDecrypt, aesCbcEncrypt, AES_BLOCK, pad80, unpad80 } from '../crypto.js';
import { CardError } from '../errors.js';
import { isSuccessOrWarning, StatusWordError, SW } from '../status-words.js';
import { cardCryptogram, hostCryptogram, pseudoRandomCardChallenge } from './cryptograms.js';
import { encodeInitializeUpdateResponse } from './initialize-update.js';
import { CLA_SM, needsExtended, SmState } from './secure-messaging.js';
import { checkChallenge, checkStaticKeys, deriveSessionKeys } from './session-keys.js';
import {
  CHALLENGE_LEN,
  CRYPTOGRAM_LEN,
  I_PARAM,
  KDD_LEN,
  levelAllowedBy,
  MAC_LEN,
  SL,
  type StaticKeys,
} from './types.js';

export interface CardInitOptions {
  /** The static keys of the key version the card chose. */
  readonly keys: StaticKeys;
  /** Host challenge from the INITIALIZE UPDATE command. */
  readonly hostChallenge: Uint8Array;
  /** Key diversification data the card reports (10 bytes). */
  readonly kdd: Uint8Array;
  /** The card's i parameter, e.g. 0x70 (pseudo-random challenge) or 0x60. */
  readonly i: number;
  /** Sequence counter sent with a pseudo-random challenge (the caller persists and increments it). */
  readonly sequenceCounter: number;
  /** AID of the selected security domain (context of the pseudo-random challenge). */
  readonly aid: Uint8Array;
  /** Random source for the card challenge when i has no b5. */
  readonly random: (n: number) => Uint8Array;
  /** Card-profile switch: the encryption counter only counts commands with data. */
  readonly counterOnlyWithData?: boolean | undefined;
}

type CardState = 'initialized' | 'open' | 'closed';

/** ParsedCommandApdu knows its encoding; a plain CommandApdu is assumed to use the shortest form. */
function isExtended(cmd: CommandApdu, nc: number): boolean {
  const parsed = (cmd as Partial<ParsedCommandApdu>).extended;
  return parsed ?? needsExtended(nc, cmd.ne);
}

export class CardSecureChannel {
  private state: CardState = 'initialized';
  private level = 0;

  private constructor(
    private readonly sm: SmState,
    private readonly expectedHostCryptogram: Uint8Array,
    private readonly i: number,
  ) {}

  /** Answers INITIALIZE UPDATE (GPC Amd D §7.1.1): returns the channel and the response data (without SW). */
  static initializeUpdate(opts: CardInitOptions): { channel: CardSecureChannel; response: Uint8Array } {
    checkStaticKeys(opts.keys);
    checkChallenge(opts.hostChallenge, 'host challenge');
    if (opts.kdd.length !== KDD_LEN) throw new CardError('LENGTH_MISMATCH', `KDD of ${opts.kdd.length} bytes (expected 10)`);
    if (!Number.isInteger(opts.i) || opts.i < 0 || opts.i > 0xff || (opts.i & I_PARAM.S16) !== 0) {
      throw new CardError('ARGUMENT_INVALID', 'i parameter must be one byte without S16 mode');
    }
    const pseudoRandom = (opts.i & I_PARAM.PSEUDO_RANDOM) !== 0;
    // GPC Amd D §6.2.2.1: a pseudo-random challenge is derived from Key-ENC, the counter and the AID.
    const cardChallenge = pseudoRandom
      ? pseudoRandomCardChallenge(opts.keys.enc, opts.sequenceCounter, opts.aid)
      : opts.random(CHALLENGE_LEN).slice(0, CHALLENGE_LEN);
    checkChallenge(cardChallenge, 'card challenge');
    const keys = deriveSessionKeys(opts.keys, opts.hostChallenge, cardChallenge);
    const response = encodeInitializeUpdateResponse({
      kdd: opts.kdd,
      kvn: opts.keys.kvn,
      i: opts.i,
      cardChallenge,
      cardCryptogram: cardCryptogram(keys.sMac, opts.hostChallenge, cardChallenge),
      sequenceCounter: pseudoRandom ? u24be(opts.sequenceCounter) : undefined,
    });
    const expected = hostCryptogram(keys.sMac, opts.hostChallenge, cardChallenge);
    const channel = new CardSecureChannel(new SmState(keys, opts.counterOnlyWithData === true), expected, opts.i);
    return { channel, response };
  }

  /** P1 of the accepted EXTERNAL AUTHENTICATE; 00 before it. */
  get securityLevel(): number {
    return this.level;
  }

  /** True once EXTERNAL AUTHENTICATE succeeded and until the session ends. */
  get authenticated(): boolean {
    return this.state === 'open';
  }

  /**
   * Verifies EXTERNAL AUTHENTICATE (GPC Amd D §7.1.2). Throws
   * StatusWordError: 6985 out of sequence, 6700 wrong length, 6A86 bad
   * P1/P2 (invalid level, or R-MAC/R-ENC the i parameter does not offer),
   * 6300 wrong host cryptogram, 6982 missing or wrong C-MAC.
   */
  externalAuthenticate(cmd: CommandApdu): void {
    if (this.state !== 'initialized') this.fail(SW.CONDITIONS_NOT_SATISFIED, 'EXTERNAL AUTHENTICATE out of sequence');
    if ((cmd.cla & CLA_SM) === 0) this.fail(SW.SECURITY_STATUS_NOT_SATISFIED, 'EXTERNAL AUTHENTICATE without C-MAC');
    if (cmd.data.length !== CRYPTOGRAM_LEN + MAC_LEN) this.fail(SW.WRONG_LENGTH, 'EXTERNAL AUTHENTICATE');
    if (cmd.p2 !== 0x00 || !levelAllowedBy(cmd.p1, this.i)) this.fail(SW.INCORRECT_P1P2, 'EXTERNAL AUTHENTICATE level');
    const cryptogram = cmd.data.subarray(0, CRYPTOGRAM_LEN);
    const mac = cmd.data.subarray(CRYPTOGRAM_LEN);
    // The cryptogram first: a host with the wrong keys gets 6300, as from real cards.
    if (!equalBytes(cryptogram, this.expectedHostCryptogram)) {
      this.fail(SW.AUTHENTICATION_FAILED, 'EXTERNAL AUTHENTICATE');
    }
    const header = { cla: (cmd.cla & 0xf0) | CLA_SM, ins: cmd.ins, p1: cmd.p1, p2: cmd.p2 };
    const full = this.sm.computeCommandMac(header, cryptogram, isExtended(cmd, cmd.data.length));
    if (!equalBytes(full.subarray(0, MAC_LEN), mac)) this.fail(SW.SECURITY_STATUS_NOT_SATISFIED, 'EXTERNAL AUTHENTICATE C-MAC');
    this.sm.commitChain(full);
    zeroize(this.expectedHostCryptogram);
    this.level = cmd.p1;
    this.state = 'open';
  }

  /**
   * Verifies and strips a command's protection (GPC Amd D §6.2.4, §6.2.6):
   * checks the C-MAC, then decrypts under C-DECRYPTION. Returns the plain
   * command with CLA b3 cleared. Any failure: StatusWordError 6982, session ended.
   */
  unwrapCommand(cmd: CommandApdu): CommandApdu {
    const denied = SW.SECURITY_STATUS_NOT_SATISFIED;
    if (this.state !== 'open') this.fail(denied, 'no authenticated secure channel');
    const secured = (cmd.cla & CLA_SM) !== 0;
    if ((this.level & SL.CMAC) === 0) {
      // Level 00: commands travel in plain; a secured one cannot be verified.
      if (secured) this.fail(denied, 'secured command at security level 00');
      return cmd;
    }
    if (!secured || (cmd.cla & 0x40) !== 0) this.fail(denied, 'command without GP secure messaging');
    if (cmd.data.length < MAC_LEN) this.fail(denied, 'command too short for a C-MAC');
    const body = cmd.data.subarray(0, cmd.data.length - MAC_LEN);
    const mac = cmd.data.subarray(cmd.data.length - MAC_LEN);
    const header = { cla: (cmd.cla & 0xf0) | CLA_SM, ins: cmd.ins, p1: cmd.p1, p2: cmd.p2 };
    const full = this.sm.computeCommandMac(header, body, isExtended(cmd, cmd.data.length));
    if (!equalBytes(full.subarray(0, MAC_LEN), mac)) this.fail(denied, 'C-MAC');
    this.sm.commitChain(full);
    this.sm.advanceCounter(body.length > 0);
    const plainCla = cmd.cla & ~CLA_SM;
    if ((this.level & SL.CDEC) === 0 || body.length === 0) {
      return { cla: plainCla, ins: cmd.ins, p1: cmd.p1, p2: cmd.p2, data: body.slice(), ne: cmd.ne };
    }
    if (body.length % AES_BLOCK !== 0) this.fail(denied, 'encrypted command data not block-aligned');
    const decrypted = aesCbcDecrypt(this.sm.keys.sEnc, this.sm.commandIcv(), body);
    let data: Uint8Array;
    try {
      data = unpad80(decrypted, AES_BLOCK);
    } catch {
      this.fail(denied, 'padding of decrypted command');
    } finally {
      zeroize(decrypted);
    }
    return { cla: plainCla, ins: cmd.ins, p1: cmd.p1, p2: cmd.p2, data, ne: cmd.ne };
  }

  /**
   * Protects a response (GPC Amd D §6.2.7 then §6.2.5): R-ENC of non-empty
   * data, then the R-MAC. Error statuses (not 9000/62xx/63xx), and responses
   * outside an open session, go out unprotected.
   */
  wrapResponse(resp: ResponseApdu): ResponseApdu {
    if (this.state !== 'open' || (this.level & SL.RMAC) === 0 || !isSuccessOrWarning(resp.sw)) return resp;
    let body = resp.data;
    if ((this.level & SL.RENC) !== 0 && body.length > 0) {
      const padded = pad80(body, AES_BLOCK);
      body = aesCbcEncrypt(this.sm.keys.sEnc, this.sm.responseIcv(), padded);
      zeroize(padded);
    }
    return { data: concat(body, this.sm.responseMac(body, resp.sw)), sw: resp.sw };
  }

  /** Ends the session and zeroizes its keys. Idempotent. */
  close(): void {
    this.state = 'closed';
    this.level = 0;
    this.sm.zeroize();
    zeroize(this.expectedHostCryptogram);
  }

  private fail(sw: number, context: string): never {
    this.close();
    throw new StatusWordError(sw, context);
  }
}

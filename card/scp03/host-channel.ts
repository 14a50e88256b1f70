/**
 * Host side of an SCP03 secure channel (GPC Amd D §6, §7.1): checks the
 * card's INITIALIZE UPDATE response, builds EXTERNAL AUTHENTICATE, then wraps
 * commands (C-DECRYPTION, C-MAC) and unwraps responses (R-MAC, R-ENC).
 *
 * Pure: the caller sends the APDUs. One instance is one session; after
 * `close()` or any security failure the session keys are zeroized and every
 * call throws `CHANNEL_CLOSED`.
 */
import { command, type CommandApdu, type ResponseApdu } from '../apdu.js';
import { concat, equalBytes, zeroize } from '../bytes.js';
import { aesCbcDecrypt, aesCbcEncrypt, AES_BLOCK, pad80, unpad80 } from '../crypto.js';
import { CardError, isCardError } from '../errors.js';
import { isSuccessOrWarning } from '../status-words.js';
import { cardCryptogram, hostCryptogram, pseudoRandomCardChallenge } from './cryptograms.js';
import { INS_EXTERNAL_AUTHENTICATE, parseInitializeUpdateResponse } from './initialize-update.js';
import { SmState, needsExtended, securedCla } from './secure-messaging.js';
import { checkChallenge, checkStaticKeys, deriveSessionKeys, zeroizeSessionKeys } from './session-keys.js';
import { I_PARAM, isValidLevel, levelAllowedBy, MAC_LEN, SL, type StaticKeys } from './types.js';

export interface HostOpenOptions {
  readonly keys: StaticKeys;
  /** The 8-byte host challenge sent in INITIALIZE UPDATE (from an injected random source). */
  readonly hostChallenge: Uint8Array;
  /** The INITIALIZE UPDATE response data, without SW. */
  readonly initUpdateResponse: Uint8Array;
  /** P1 of EXTERNAL AUTHENTICATE: one of VALID_LEVELS. */
  readonly securityLevel: number;
  /** AID of the selected security domain; when given, pseudo-random card challenges are verified. */
  readonly aid?: Uint8Array | undefined;
  /** Card-profile switch: the encryption counter only counts commands with data. */
  readonly counterOnlyWithData?: boolean | undefined;
}

export interface WrapOptions {
  /** Set when the wrapped APDU will be encoded in extended form even though its lengths fit the short form. */
  readonly extended?: boolean | undefined;
}

type HostState = 'initialized' | 'authenticating' | 'open' | 'closed';

const MAX_EXTENDED_NC = 65535;

function hex2(n: number): string {
  return n.toString(16).padStart(2, '0').toUpperCase();
}

export class HostSecureChannel {
  private state: HostState = 'initialized';

  private constructor(
    private readonly sm: SmState,
    private readonly hostCryptogramValue: Uint8Array,
    private readonly staticDek: Uint8Array,
    /** P1 of EXTERNAL AUTHENTICATE. */
    readonly securityLevel: number,
    /** Key diversification data from the INITIALIZE UPDATE response. */
    readonly kdd: Uint8Array,
    /** Key version the card used. */
    readonly kvn: number,
    /** The card's i parameter. */
    readonly i: number,
  ) {}

  /**
   * Verifies the INITIALIZE UPDATE response and derives the session.
   * Throws CardError `SECURITY_LEVEL`, `KEY_INVALID`, `CARD_CHALLENGE`,
   * `CARD_CRYPTOGRAM` or `RESPONSE_MALFORMED`.
   */
  static open(opts: HostOpenOptions): HostSecureChannel {
    checkStaticKeys(opts.keys);
    checkChallenge(opts.hostChallenge, 'host challenge');
    const r = parseInitializeUpdateResponse(opts.initUpdateResponse);
    const level = opts.securityLevel;
    if (!isValidLevel(level)) throw new CardError('SECURITY_LEVEL', `security level ${hex2(level)} is not valid for SCP03`);
    if (!levelAllowedBy(level, r.i)) {
      throw new CardError('SECURITY_LEVEL', `security level ${hex2(level)} needs response protection that i=${hex2(r.i)} lacks`);
    }
    // KVN 00 means "first available"; otherwise the card must have used the version we hold.
    if (opts.keys.kvn !== 0 && r.kvn !== opts.keys.kvn) {
      throw new CardError('KEY_INVALID', `card used key version ${hex2(r.kvn)}, host holds ${hex2(opts.keys.kvn)}`);
    }
    // GPC Amd D §6.2.2.1: a pseudo-random challenge is reproducible from Key-ENC, the counter and the AID.
    if ((r.i & I_PARAM.PSEUDO_RANDOM) !== 0 && opts.aid !== undefined && r.sequenceCounter !== undefined) {
      const expected = pseudoRandomCardChallenge(opts.keys.enc, r.sequenceCounter, opts.aid);
      if (!equalBytes(expected, r.cardChallenge)) {
        throw new CardError('CARD_CHALLENGE', 'pseudo-random card challenge does not match Key-ENC, counter and AID');
      }
    }
    const keys = deriveSessionKeys(opts.keys, opts.hostChallenge, r.cardChallenge);
    // GPC Amd D §6.2.2.2: the card proves it holds Key-MAC.
    const expectedCard = cardCryptogram(keys.sMac, opts.hostChallenge, r.cardChallenge);
    if (!equalBytes(expectedCard, r.cardCryptogram)) {
      zeroizeSessionKeys(keys);
      throw new CardError('CARD_CRYPTOGRAM', 'card cryptogram does not match: wrong keys or a different card');
    }
    const hostValue = hostCryptogram(keys.sMac, opts.hostChallenge, r.cardChallenge);
    const sm = new SmState(keys, opts.counterOnlyWithData === true);
    return new HostSecureChannel(sm, hostValue, opts.keys.dek.slice(), level, r.kdd, r.kvn, r.i);
  }

  /** True until `close()` or a security failure. */
  get isOpen(): boolean {
    return this.state !== 'closed';
  }

  /**
   * EXTERNAL AUTHENTICATE: `84 82 SL 00 10 <host cryptogram ‖ C-MAC>`
   * (GPC Amd D §7.1.2). Always MACed, never encrypted; its response carries
   * no R-MAC. Starts the MAC chain.
   */
  externalAuthenticate(): CommandApdu {
    if (this.state !== 'initialized') {
      throw new CardError('CHANNEL_CLOSED', `EXTERNAL AUTHENTICATE not allowed in state ${this.state}`);
    }
    const header = { cla: 0x84, ins: INS_EXTERNAL_AUTHENTICATE, p1: this.securityLevel, p2: 0x00 };
    const full = this.sm.computeCommandMac(header, this.hostCryptogramValue, false);
    this.sm.commitChain(full);
    this.state = 'authenticating';
    return command(header.cla, header.ins, header.p1, header.p2, concat(this.hostCryptogramValue, full.subarray(0, MAC_LEN)));
  }

  /**
   * Protects a command at the session's level (GPC Amd D §6.2.6 then §6.2.4):
   * pads and encrypts non-empty data under C-DECRYPTION, then appends the
   * C-MAC. CLA gains b3; Le is kept and is not MACed.
   */
  wrap(cmd: CommandApdu, opts: WrapOptions = {}): CommandApdu {
    this.requireAuthenticated();
    this.state = 'open';
    if ((this.securityLevel & SL.CMAC) === 0) return cmd;
    const hasData = cmd.data.length > 0;
    this.sm.advanceCounter(hasData);
    let body = cmd.data;
    if ((this.securityLevel & SL.CDEC) !== 0 && hasData) {
      const padded = pad80(cmd.data, AES_BLOCK);
      body = aesCbcEncrypt(this.sm.keys.sEnc, this.sm.commandIcv(), padded);
      zeroize(padded);
    }
    const lcPrime = body.length + MAC_LEN;
    if (lcPrime > MAX_EXTENDED_NC) {
      throw new CardError('APDU_MALFORMED', `secured command data of ${lcPrime} bytes exceeds ${MAX_EXTENDED_NC}`);
    }
    const cla = securedCla(cmd.cla);
    const extended = opts.extended ?? needsExtended(lcPrime, cmd.ne);
    const full = this.sm.computeCommandMac({ cla: cla.mac, ins: cmd.ins, p1: cmd.p1, p2: cmd.p2 }, body, extended);
    this.sm.commitChain(full);
    return command(cla.wire, cmd.ins, cmd.p1, cmd.p2, concat(body, full.subarray(0, MAC_LEN)), cmd.ne);
  }

  /**
   * Checks and strips response protection (GPC Amd D §6.2.5, §6.2.7).
   * Error statuses (anything but 9000, 62xx, 63xx) carry no R-MAC and pass
   * through. A bad R-MAC (`RMAC_INVALID`) or R-ENC block (`RENC_INVALID`)
   * closes the session.
   */
  unwrap(resp: ResponseApdu): ResponseApdu {
    if (this.state === 'closed') throw new CardError('CHANNEL_CLOSED', 'secure channel session is closed');
    // The response to EXTERNAL AUTHENTICATE is never protected.
    if (this.state === 'authenticating' || this.state === 'initialized') return resp;
    if ((this.securityLevel & SL.RMAC) === 0 || !isSuccessOrWarning(resp.sw)) return resp;
    if (resp.data.length < MAC_LEN) return this.fail('RMAC_INVALID', `response of ${resp.data.length} bytes has no R-MAC`);
    const body = resp.data.subarray(0, resp.data.length - MAC_LEN);
    const mac = resp.data.subarray(resp.data.length - MAC_LEN);
    if (!equalBytes(this.sm.responseMac(body, resp.sw), mac)) return this.fail('RMAC_INVALID', 'R-MAC does not match');
    if ((this.securityLevel & SL.RENC) === 0 || body.length === 0) return { data: body.slice(), sw: resp.sw };
    if (body.length % AES_BLOCK !== 0) {
      return this.fail('RENC_INVALID', `encrypted response of ${body.length} bytes is not block-aligned`);
    }
    const plain = aesCbcDecrypt(this.sm.keys.sEnc, this.sm.responseIcv(), body);
    try {
      return { data: unpad80(plain, AES_BLOCK), sw: resp.sw };
    } catch (e) {
      if (isCardError(e, 'PADDING_INVALID')) return this.fail('RENC_INVALID', 'bad padding in decrypted response');
      throw e;
    } finally {
      zeroize(plain);
    }
  }

  /** The static Key-DEK, for encrypting secret DGIs (GPC Amd D §6.2.8). Zeroized by `close()`; do not retain. */
  get dek(): Uint8Array {
    if (this.state === 'closed') throw new CardError('CHANNEL_CLOSED', 'secure channel session is closed');
    return this.staticDek;
  }

  /** Ends the session: zeroizes the session keys, the chain and the DEK copy. Idempotent. */
  close(): void {
    this.state = 'closed';
    this.sm.zeroize();
    zeroize(this.staticDek, this.hostCryptogramValue);
  }

  private requireAuthenticated(): void {
    if (this.state === 'closed') throw new CardError('CHANNEL_CLOSED', 'secure channel session is closed');
    if (this.state === 'initialized') throw new CardError('CHANNEL_CLOSED', 'EXTERNAL AUTHENTICATE has not been sent');
  }

  private fail(code: 'RMAC_INVALID' | 'RENC_INVALID', message: string): never {
    this.close();
    throw new CardError(code, message);
  }
}

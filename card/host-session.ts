/**
 * The host's side of a conversation with one card: encode a command, hand it
 * to an injected `transmit` function, parse the response; open an SCP03
 * session (INITIALIZE UPDATE, card cryptogram check, EXTERNAL AUTHENTICATE)
 * and exchange wrapped commands over it.
 *
 * Pure in the sense of card/: it does no I/O of its own. `transmit` is the
 * transport (a CardTransport's transmit, a relay over MQTT, a test double).
 * Keys are resolved from the card's KDD through `keysFor`, so a caller can
 * diversify per card without holding keys longer than the session.
 */
import { encodeCommand, parseResponse, type CommandApdu, type ResponseApdu } from './apdu.js';
import { zeroize } from './bytes.js';
import { initializeUpdate } from './gp/initialize-update.js';
import { selectByAid } from './gp/select.js';
import { HostSecureChannel, parseInitializeUpdateResponse, type StaticKeys } from './scp03/index.js';
import { StatusWordError } from './status-words.js';

export type Transmit = (apdu: Uint8Array) => Promise<Uint8Array>;

export interface OpenChannelOptions {
  /** AID of the security domain to select (its AID also checks pseudo-random challenges). */
  readonly sdAid: Uint8Array;
  /** Key version to ask for; 00 = first available. */
  readonly kvn: number;
  readonly securityLevel: number;
  /** An 8-byte host challenge from the caller's random source. */
  readonly hostChallenge: Uint8Array;
  /** Resolves the static keys for the card's key diversification data (10 bytes). */
  readonly keysFor: (kdd: Uint8Array) => StaticKeys;
  readonly counterOnlyWithData?: boolean;
}

export class CardHostSession {
  constructor(private readonly transmit: Transmit) {}

  /** Sends one plain command and returns its response. */
  async send(cmd: CommandApdu): Promise<ResponseApdu> {
    return parseResponse(await this.transmit(encodeCommand(cmd)));
  }

  /** Sends one plain command; throws StatusWordError unless the card answers 9000. */
  async sendOk(cmd: CommandApdu, context: string): Promise<Uint8Array> {
    const r = await this.send(cmd);
    if (r.sw !== 0x9000) throw new StatusWordError(r.sw, context);
    return r.data;
  }

  /**
   * Selects the security domain and opens an SCP03 session at the given
   * level. Throws CardError `CARD_CRYPTOGRAM` for a card that does not hold
   * the expected keys (a counterfeit or foreign card): nothing has been
   * written to it at that point.
   */
  async openSecureChannel(opts: OpenChannelOptions): Promise<HostSecureChannel> {
    await this.sendOk(selectByAid(opts.sdAid), 'SELECT security domain');
    const initUpdateResponse = await this.sendOk(initializeUpdate(opts.kvn, opts.hostChallenge), 'INITIALIZE UPDATE');
    const { kdd } = parseInitializeUpdateResponse(initUpdateResponse);
    const keys = opts.keysFor(kdd);
    let channel: HostSecureChannel;
    try {
      channel = HostSecureChannel.open({
        keys,
        hostChallenge: opts.hostChallenge,
        initUpdateResponse,
        securityLevel: opts.securityLevel,
        aid: opts.sdAid,
        counterOnlyWithData: opts.counterOnlyWithData,
      });
    } finally {
      // The channel keeps its own session keys and its own copy of the DEK.
      zeroize(keys.enc, keys.mac, keys.dek);
    }
    let r: ResponseApdu;
    try {
      r = await this.send(channel.externalAuthenticate());
    } catch (e) {
      // The transport failed (card removed, timeout): nobody else holds the channel to close it.
      channel.close();
      throw e;
    }
    if (r.sw !== 0x9000) {
      channel.close();
      throw new StatusWordError(r.sw, 'EXTERNAL AUTHENTICATE');
    }
    return channel;
  }

  /** Wraps a command in the session, sends it, verifies and unwraps the response. */
  async sendSecure(channel: HostSecureChannel, cmd: CommandApdu): Promise<ResponseApdu> {
    const wrapped = channel.wrap(cmd);
    return channel.unwrap(parseResponse(await this.transmit(encodeCommand(wrapped))));
  }
}

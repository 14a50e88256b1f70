/**
 * The SCP03 secure-messaging state that host and card share, mirror images
 * of each other: the MAC chaining value, the encryption counter, and the
 * C-MAC, R-MAC and ICV computations (GPC Amd D §6.2.4 to §6.2.7).
 *
 * Both sides hold one `SmState`; as long as they see the same commands in the
 * same order their chaining values and counters stay equal.
 */
import { concat, u16be, zeroize } from '../bytes.js';
import { aesCmac, aesEcbEncryptBlock, AES_BLOCK } from '../crypto.js';
import { CardError } from '../errors.js';
import { zeroizeSessionKeys } from './session-keys.js';
import { MAC_LEN, type SessionKeys } from './types.js';

/** CLA b3: GlobalPlatform proprietary secure messaging (GPC v2.3.1 §11.1.4.1). */
export const CLA_SM = 0x04;

/** The header bytes a C-MAC covers. */
export interface MacHeader {
  readonly cla: number;
  readonly ins: number;
  readonly p1: number;
  readonly p2: number;
}

/**
 * CLA of a secured command, on the wire and as MACed (GPC Amd D §6.2.4):
 * for the MAC the logical channel is set to zero, b4 to 0 and b3 to 1.
 * Only the first interindustry class (b7 = 0, channels 0 to 3) is supported.
 */
export function securedCla(cla: number): { wire: number; mac: number } {
  if ((cla & 0x40) !== 0) {
    throw new CardError('ARGUMENT_INVALID', `CLA ${cla.toString(16)} (further interindustry class) is not supported`);
  }
  return { wire: (cla & ~0x08) | CLA_SM, mac: (cla & 0xf0) | CLA_SM };
}

/** Lc as MACed: one byte, or 00 hh ll when the APDU goes in extended form (ISO 7816-4 §5.1). */
export function encodeLc(nc: number, extended: boolean): Uint8Array {
  return extended ? concat(Uint8Array.of(0x00), u16be(nc)) : Uint8Array.of(nc);
}

/** Whether an APDU with these lengths is sent in extended form (the rule `encodeCommand` applies). */
export function needsExtended(nc: number, ne: number | undefined): boolean {
  return nc > 255 || (ne !== undefined && ne > 256);
}

/** The encryption counter as a 16-byte big-endian block (GPC Amd D §6.2.6). */
function counterBlock(counter: number): Uint8Array {
  const block = new Uint8Array(AES_BLOCK);
  let n = counter;
  for (let i = AES_BLOCK - 1; i >= 0 && n > 0; i--) {
    block[i] = n % 256;
    n = Math.floor(n / 256);
  }
  return block;
}

export class SmState {
  /** GPC Amd D §6.2.4: the first chaining value is 16 bytes of 00. */
  private chain = new Uint8Array(AES_BLOCK);
  /** GPC Amd D §6.2.6: starts at 1 for the first command after EXTERNAL AUTHENTICATE (pre-incremented). */
  private counter = 0;
  private wiped = false;

  constructor(
    readonly keys: SessionKeys,
    private readonly counterOnlyWithData: boolean,
  ) {}

  /** Full 16-byte CMAC(S-MAC, chain ‖ CLA′ INS P1 P2 Lc′ ‖ data), without committing it. */
  computeCommandMac(header: MacHeader, body: Uint8Array, extended: boolean): Uint8Array {
    this.assertLive();
    const lcPrime = body.length + MAC_LEN;
    const input = concat(
      this.chain,
      Uint8Array.of(header.cla, header.ins, header.p1, header.p2),
      encodeLc(lcPrime, extended),
      body,
    );
    return aesCmac(this.keys.sMac, input);
  }

  /** The full CMAC of a command becomes the next chaining value (GPC Amd D §6.2.4). */
  commitChain(fullMac: Uint8Array): void {
    this.assertLive();
    this.chain.fill(0);
    this.chain = fullMac.slice();
  }

  /**
   * Advances the encryption counter for a command after EXTERNAL AUTHENTICATE.
   * GPC Amd D §6.2.6 increments it for every command, with or without data;
   * some cards only count commands with data (`counterOnlyWithData`).
   */
  advanceCounter(hasData: boolean): void {
    this.assertLive();
    if (hasData || !this.counterOnlyWithData) this.counter++;
  }

  /** ICV for C-DECRYPTION: AES(S-ENC, counter block) (GPC Amd D §6.2.6). */
  commandIcv(): Uint8Array {
    this.assertLive();
    return aesEcbEncryptBlock(this.keys.sEnc, counterBlock(this.counter));
  }

  /** ICV for R-ENC: the counter block with its first byte set to 80 (GPC Amd D §6.2.7). */
  responseIcv(): Uint8Array {
    this.assertLive();
    const block = counterBlock(this.counter);
    block[0] = 0x80;
    return aesEcbEncryptBlock(this.keys.sEnc, block);
  }

  /** R-MAC: first 8 bytes of CMAC(S-RMAC, chain ‖ response data ‖ SW) (GPC Amd D §6.2.5). */
  responseMac(data: Uint8Array, sw: number): Uint8Array {
    this.assertLive();
    const full = aesCmac(this.keys.sRmac, concat(this.chain, data, u16be(sw)));
    const mac = full.slice(0, MAC_LEN);
    full.fill(0);
    return mac;
  }

  get live(): boolean {
    return !this.wiped;
  }

  zeroize(): void {
    if (this.wiped) return;
    this.wiped = true;
    zeroizeSessionKeys(this.keys);
    zeroize(this.chain);
    this.counter = 0;
  }

  private assertLive(): void {
    if (this.wiped) throw new CardError('CHANNEL_CLOSED', 'secure channel session is closed');
  }
}

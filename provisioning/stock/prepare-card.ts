/**
 * Pre-personalization of one card over APDUs (docs/provisioning.md §6): the
 * 0th and 1st issuance. Works over anything that exchanges APDUs with one
 * card (a CardTransport: the simulated station's reader, a PC/SC reader), so
 * the same code prepares simulated and real cards.
 *
 * 1. SELECT the ISD, INITIALIZE UPDATE with the transport key set (KVN 30),
 *    card cryptogram check, EXTERNAL AUTHENTICATE at C-MAC + C-DECRYPTION
 *    (GPC Amd D §7.1). A card without the transport key is refused before
 *    anything is written.
 * 2. The steps of card/stock/steps.ts, every status word checked, PUT KEY
 *    answers checked against the KVN and KCVs sent.
 * 3. verify-card.ts: a fresh session proves the new state.
 *
 * The stock master key is the caller's; the per-card keys derived here are
 * zeroized before this returns, whatever happens.
 */
import { equalBytes, toHex, zeroize } from '../../card/bytes.js';
import { diversifyKdf3 } from '../../card/diversify.js';
import { isCardError } from '../../card/errors.js';
import { CardHostSession } from '../../card/host-session.js';
import type { HostSecureChannel } from '../../card/scp03/index.js';
import { SL } from '../../card/scp03/index.js';
import { deriveApplicationKeys, preparationSteps, TRANSPORT_KVN, transportKeys, type StockProduct } from '../../card/stock/index.js';
import { StatusWordError, swHex } from '../../card/status-words.js';
import { asPrepError, CardPrepError } from './errors.js';
import { verifyPreparedCard } from './verify-card.js';

/** What stock preparation needs of a card reader: a CardTransport has it. */
export interface StockCardTransport {
  /** Cold reset; resolves with the ATR. */
  powerOn(): Promise<Uint8Array>;
  /** One command APDU, its full response (data ‖ SW). */
  transmit(apdu: Uint8Array): Promise<Uint8Array>;
}

export interface PrepareCardInput {
  readonly transport: StockCardTransport;
  /** The stock master key (KMC), 16 or 32 bytes; the caller's, not kept. */
  readonly stockMasterKey: Uint8Array;
  readonly product: StockProduct;
  readonly batch: string;
  /** Host challenges. */
  readonly random: (n: number) => Uint8Array;
}

/** The preparation session's level: every command MACed, its data encrypted (GPC Amd D §7.1.2.1). */
export const PREP_SECURITY_LEVEL = SL.CMAC | SL.CDEC;

/** Prepares one card and verifies it. Resolves with its KDD (20 hex digits); throws CardPrepError. */
export async function prepareCard(input: PrepareCardInput): Promise<{ kdd: string }> {
  await input.transport.powerOn();
  const session = new CardHostSession((apdu) => input.transport.transmit(apdu));
  const channel = await openWithTransportKey(session, input);
  const kdd = channel.kdd.slice();
  const isdKeys = diversifyKdf3(input.stockMasterKey, kdd);
  const appKeys = deriveApplicationKeys(input.stockMasterKey, kdd);
  const transport = transportKeys();
  let current = 'script';
  try {
    const steps = preparationSteps({ product: input.product, batch: input.batch, isdKeys, appKeys, transportDek: transport.dek });
    for (const step of steps) {
      current = step.name;
      const r = step.secured ? await session.sendSecure(channel, step.cmd) : await session.send(step.cmd);
      if (r.sw !== 0x9000) throw new CardPrepError('status-word', step.name, `the card answered ${swHex(r.sw)}`, r.sw);
      if (step.expect !== undefined && !equalBytes(r.data, step.expect)) {
        throw new CardPrepError('response', step.name, 'the answer does not match the key version and check values sent');
      }
    }
  } catch (e) {
    throw asPrepError(e, current);
  } finally {
    channel.close();
    zeroize(isdKeys.enc, isdKeys.mac, isdKeys.dek, appKeys.enc, appKeys.mac, appKeys.dek, transport.enc, transport.mac, transport.dek);
  }
  await verifyPreparedCard(session, { ...input, kdd });
  return { kdd: toHex(kdd) };
}

async function openWithTransportKey(session: CardHostSession, input: PrepareCardInput): Promise<HostSecureChannel> {
  try {
    return await session.openSecureChannel({
      sdAid: input.product.profile.sdAid,
      kvn: TRANSPORT_KVN,
      securityLevel: PREP_SECURITY_LEVEL,
      hostChallenge: input.random(8),
      keysFor: () => transportKeys(),
    });
  } catch (e) {
    // 6A88: no key set 30; a wrong cryptogram: another key at 30. Either way not a card fresh from the maker.
    if (e instanceof StatusWordError && e.sw === 0x6a88) throw new CardPrepError('transport-key', 'open', 'the card has no transport key set (KVN 30)', e.sw);
    if (isCardError(e, 'CARD_CRYPTOGRAM') || isCardError(e, 'CARD_CHALLENGE')) throw new CardPrepError('transport-key', 'open', 'the card does not hold the transport key');
    throw asPrepError(e, 'open');
  }
}

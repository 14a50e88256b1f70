/**
 * Checks a card stock preparation has just written, in a fresh session, as
 * the center will meet it (docs/provisioning.md §6):
 * - INITIALIZE UPDATE at the profile's KVN (00: the first key set) with the
 *   ISD keys KDF3-diversified from the stock master key: the card cryptogram
 *   proves the card holds them; EXTERNAL AUTHENTICATE at the profile's level;
 * - GET STATUS of the ISD: card life cycle SECURED;
 * - SELECT and READ BINARY of EF 5001: the product data written;
 * - INITIALIZE UPDATE at KVN 20 with the application keys: cryptogram checked;
 * - INITIALIZE UPDATE at KVN 30 (the transport key set): 6A88, the set is gone.
 */
import { equalBytes, zeroize } from '../../card/bytes.js';
import { diversifyKdf3 } from '../../card/diversify.js';
import { initializeUpdate } from '../../card/gp/initialize-update.js';
import { parseGetStatus } from '../../card/gp/get-status.js';
import { CARD_LIFE_CYCLE, cardLifeCycleName } from '../../card/gp/set-status.js';
import type { CardHostSession } from '../../card/host-session.js';
import { HostSecureChannel } from '../../card/scp03/index.js';
import { deriveApplicationKeys, getIsdStatus, parseProductData, readProductEf, selectProductEf, TRANSPORT_KVN, PRODUCT_DATA_VERSION, type StockProduct } from '../../card/stock/index.js';
import { swHex } from '../../card/status-words.js';
import { asPrepError, CardPrepError } from './errors.js';

export interface VerifyInput {
  readonly stockMasterKey: Uint8Array;
  readonly product: StockProduct;
  readonly batch: string;
  readonly random: (n: number) => Uint8Array;
  /** The KDD the preparation session reported: the card must report the same. */
  readonly kdd: Uint8Array;
}

export async function verifyPreparedCard(session: CardHostSession, input: VerifyInput): Promise<void> {
  const { profile } = input.product;
  let channel: HostSecureChannel;
  try {
    channel = await session.openSecureChannel({
      sdAid: profile.sdAid,
      kvn: profile.kvn,
      securityLevel: profile.securityLevel,
      hostChallenge: input.random(8),
      keysFor: (kdd) => {
        if (!equalBytes(kdd, input.kdd)) throw new CardPrepError('verification', 'verify-keys', 'the card reports another KDD');
        return { ...diversifyKdf3(input.stockMasterKey, kdd), kvn: profile.kvn };
      },
    });
  } catch (e) {
    throw verification(e, 'verify-keys');
  }
  try {
    const status = await session.sendSecure(channel, getIsdStatus());
    if (status.sw !== 0x9000) throw new CardPrepError('verification', 'verify-life-cycle', `GET STATUS answered ${swHex(status.sw)}`, status.sw);
    const lifeCycle = parseGetStatus(status.data)[0]?.lifeCycle;
    if (lifeCycle !== CARD_LIFE_CYCLE.SECURED) {
      throw new CardPrepError('verification', 'verify-life-cycle', `card life cycle ${lifeCycle === undefined ? 'missing' : (cardLifeCycleName(lifeCycle) ?? lifeCycle.toString(16))}, not SECURED`);
    }
    const sel = await session.send(selectProductEf());
    if (sel.sw !== 0x9000) throw new CardPrepError('verification', 'verify-product', `SELECT EF 5001 answered ${swHex(sel.sw)}`, sel.sw);
    const read = await session.sendSecure(channel, readProductEf());
    if (read.sw !== 0x9000) throw new CardPrepError('verification', 'verify-product', `READ BINARY answered ${swHex(read.sw)}`, read.sw);
    const data = parseProductData(read.data);
    if (data.product !== input.product.name || data.batch !== input.batch || data.version !== PRODUCT_DATA_VERSION) {
      throw new CardPrepError('verification', 'verify-product', 'EF 5001 does not hold this batch\'s product data');
    }
  } catch (e) {
    throw verification(e, 'verify-state');
  } finally {
    channel.close();
  }
  await checkAppKeys(session, input);
  await checkTransportKeyGone(session, input);
}

async function checkAppKeys(session: CardHostSession, input: VerifyInput): Promise<void> {
  const hostChallenge = input.random(8);
  const keys = deriveApplicationKeys(input.stockMasterKey, input.kdd);
  try {
    const r = await session.send(initializeUpdate(input.product.appKvn, hostChallenge));
    if (r.sw !== 0x9000) throw new CardPrepError('verification', 'verify-app-keys', `INITIALIZE UPDATE ${swHex(r.sw)}`, r.sw);
    // Throws CARD_CRYPTOGRAM unless the card holds the application keys at that KVN; the half-open session is dropped.
    HostSecureChannel.open({ keys: { ...keys, kvn: input.product.appKvn }, hostChallenge, initUpdateResponse: r.data, securityLevel: 0x01, aid: input.product.profile.sdAid }).close();
  } catch (e) {
    throw verification(e, 'verify-app-keys');
  } finally {
    zeroize(keys.enc, keys.mac, keys.dek);
  }
}

async function checkTransportKeyGone(session: CardHostSession, input: VerifyInput): Promise<void> {
  let sw: number;
  try {
    sw = (await session.send(initializeUpdate(TRANSPORT_KVN, input.random(8)))).sw;
  } catch (e) {
    throw verification(e, 'verify-transport-key');
  }
  // GPC v2.3.1 §11.11.3: an unknown key version is 6A88.
  if (sw !== 0x6a88) throw new CardPrepError('verification', 'verify-transport-key', `the transport key set still answers (${swHex(sw)})`, sw);
}

function verification(e: unknown, step: string): CardPrepError {
  const err = asPrepError(e, step);
  // A transport failure stays one (the card went away); everything else means the card is not as prepared.
  return err.reason === 'transport' || err.reason === 'verification' ? err : new CardPrepError('verification', step, err.message, err.sw);
}

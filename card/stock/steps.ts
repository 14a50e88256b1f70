/**
 * The pre-personalization script of one card, as data (docs/provisioning.md
 * §6): what a runner sends, in order, inside the SCP03 session it opened
 * with the transport key. Pure: the keys are given, nothing is sent here.
 *
 *   1 put-key-isd      PUT KEY replacing the transport set (KVN 30) by the ISD
 *                      keys diversified from the stock master key, at the
 *                      product's ISD KVN; stays the card's first key set
 *   2 put-key-app      PUT KEY adding the application key set (KVN 20)
 *   3 select-product   SELECT EF 5001 under DF 5000 (sent plain: SELECT is
 *                      never wrapped, GPC v2.3.1 §10.2.3 on this card)
 *   4 write-product    UPDATE BINARY of the product data (product-data.ts)
 *   5 set-initialized  SET STATUS OP_READY → INITIALIZED
 *   6 set-secured      SET STATUS INITIALIZED → SECURED
 *
 * Both PUT KEYs are encrypted under the transport Key-DEK, the static DEK of
 * the session's key set (GPC Amd D §7.2: the card keeps the session's DEK
 * after its own set is replaced). Every response must be 9000; a PUT KEY's
 * must be the new KVN and the three KCVs (GPC v2.3.1 §11.8.3.1).
 */
import type { CommandApdu } from '../apdu.js';
import type { DiversifiedKeys } from '../diversify.js';
import { expectedPutKeyResponse } from '../gp/put-key.js';
import { putKeySet, selectProductEf, setInitialized, setSecured, updateProductEf } from './commands.js';
import { encodeProductData } from './product-data.js';
import { TRANSPORT_KVN, type StockProduct } from './product.js';

export type PrepStepName = 'put-key-isd' | 'put-key-app' | 'select-product' | 'write-product' | 'set-initialized' | 'set-secured';

export interface PrepStep {
  readonly name: PrepStepName;
  readonly cmd: CommandApdu;
  /** Sent inside the session (C-MAC, C-DECRYPTION); false: plain. */
  readonly secured: boolean;
  /** The response data the card must give; absent: none is checked. */
  readonly expect?: Uint8Array;
}

export interface PrepInput {
  readonly product: StockProduct;
  readonly batch: string;
  /** The card's ISD keys (KDF3 of the stock master key and its KDD). Not kept. */
  readonly isdKeys: DiversifiedKeys;
  /** The card's application keys (app-keys.ts). Not kept. */
  readonly appKeys: DiversifiedKeys;
  /** The transport key set's Key-DEK: the session's static DEK. */
  readonly transportDek: Uint8Array;
}

export function preparationSteps(input: PrepInput): PrepStep[] {
  const { product, isdKeys, appKeys, transportDek } = input;
  const isdSet = [isdKeys.enc, isdKeys.mac, isdKeys.dek];
  const appSet = [appKeys.enc, appKeys.mac, appKeys.dek];
  return [
    { name: 'put-key-isd', cmd: putKeySet(TRANSPORT_KVN, product.isdKvn, isdKeys, transportDek), secured: true, expect: expectedPutKeyResponse(product.isdKvn, isdSet) },
    { name: 'put-key-app', cmd: putKeySet(0x00, product.appKvn, appKeys, transportDek), secured: true, expect: expectedPutKeyResponse(product.appKvn, appSet) },
    { name: 'select-product', cmd: selectProductEf(), secured: false },
    { name: 'write-product', cmd: updateProductEf(encodeProductData({ product: product.name, batch: input.batch })), secured: true },
    { name: 'set-initialized', cmd: setInitialized(), secured: true },
    { name: 'set-secured', cmd: setSecured(), secured: true },
  ];
}

/**
 * The commands of stock preparation that card/gp/ does not already build:
 * the file commands that reach EF 5001 (ISO 7816-4 §11.1-11.2), and the
 * two PUT KEYs and the SET STATUS moves of the 0th/1st issuance as
 * GlobalPlatform defines them (GPC v2.3.1 §11.8, §11.10).
 */
import { command, type CommandApdu } from '../apdu.js';
import { CardError } from '../errors.js';
import { getStatus, GET_STATUS_P1 } from '../gp/get-status.js';
import { putKeyAes } from '../gp/put-key.js';
import { CARD_LIFE_CYCLE, setCardLifeCycle } from '../gp/set-status.js';
import type { DiversifiedKeys } from '../diversify.js';
import { PRODUCT_DF, PRODUCT_EF, PRODUCT_EF_SIZE } from './product-data.js';

const CLA_ISO = 0x00;
const INS_SELECT = 0xa4;
const INS_READ_BINARY = 0xb0;
const INS_UPDATE_BINARY = 0xd6;
/** SELECT P1 08: path from the MF (ISO 7816-4 table 39); P2 0C: no response data (table 40). */
const SELECT_PATH_FROM_MF = 0x08;
const SELECT_NO_RESPONSE = 0x0c;

/** SELECT the product EF by its path from the MF: `00 A4 08 0C 04 5000 5001`. */
export function selectProductEf(): CommandApdu {
  const path = Uint8Array.of(PRODUCT_DF >>> 8, PRODUCT_DF & 0xff, PRODUCT_EF >>> 8, PRODUCT_EF & 0xff);
  return command(CLA_ISO, INS_SELECT, SELECT_PATH_FROM_MF, SELECT_NO_RESPONSE, path);
}

/** UPDATE BINARY of the whole current EF from offset 0: `00 D6 00 00 80 <128 bytes>`. */
export function updateProductEf(content: Uint8Array): CommandApdu {
  if (content.length !== PRODUCT_EF_SIZE) throw new CardError('ARGUMENT_INVALID', `EF 5001 content of ${content.length} bytes (expected ${PRODUCT_EF_SIZE})`);
  return command(CLA_ISO, INS_UPDATE_BINARY, 0x00, 0x00, content);
}

/** READ BINARY of the whole current EF: `00 B0 00 00 80`. */
export function readProductEf(): CommandApdu {
  return command(CLA_ISO, INS_READ_BINARY, 0x00, 0x00, new Uint8Array(0), PRODUCT_EF_SIZE);
}

/**
 * PUT KEY replacing key set `replaceKvn` by the three keys at `newKvn`
 * (`80 D8 <replaceKvn> 81 …`), or adding one (`replaceKvn` 00). The keys go
 * under `dek`, the Key-DEK of the key set the session was opened with.
 */
export function putKeySet(replaceKvn: number, newKvn: number, keys: DiversifiedKeys, dek: Uint8Array): CommandApdu {
  return putKeyAes({ newKvn, replaceKvn, keys: [keys.enc, keys.mac, keys.dek], dek });
}

/** SET STATUS of the card to INITIALIZED (`80 F0 80 07`), then to SECURED (`80 F0 80 0F`), GPC v2.3.1 §5.1.1.2-3. */
export function setInitialized(): CommandApdu {
  return setCardLifeCycle(CARD_LIFE_CYCLE.INITIALIZED);
}

export function setSecured(): CommandApdu {
  return setCardLifeCycle(CARD_LIFE_CYCLE.SECURED);
}

/** GET STATUS of the ISD (`80 F2 80 02 02 4F 00 00`): its entry carries the card life cycle. */
export function getIsdStatus(): CommandApdu {
  return getStatus(GET_STATUS_P1.ISD, false);
}

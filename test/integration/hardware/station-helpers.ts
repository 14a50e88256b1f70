/** Shared by the simulated-station tests: APDUs through a transport, and the card-key check. */
import { encodeCommand, parseResponse } from '../../../card/apdu.js';
import { hex } from '../../../card/bytes.js';
import { diversifyKdf3 } from '../../../card/diversify.js';
import { selectIsd } from '../../../card/gp/select.js';
import { HostSecureChannel } from '../../../card/scp03/host-channel.js';
import { initializeUpdateCommand, parseInitializeUpdateResponse } from '../../../card/scp03/initialize-update.js';

export const KMC = hex('404142434445464748494A4B4C4D4E4F');
export const OTHER_KMC = hex('0F0E0D0C0B0A09080706050403020100');
const HOST_CHALLENGE = hex('0102030405060708');

export type Transmit = (apdu: Uint8Array) => Promise<Uint8Array>;

/** SELECT ISD + INITIALIZE UPDATE on a powered card; returns the IU response data. */
export async function initUpdate(transmit: Transmit): Promise<Uint8Array> {
  const sel = parseResponse(await transmit(encodeCommand(selectIsd())));
  const r = parseResponse(await transmit(encodeCommand(initializeUpdateCommand(0, HOST_CHALLENGE))));
  if (sel.sw !== 0x9000 || r.sw !== 0x9000) throw new Error(`SELECT ${sel.sw.toString(16)}, INITIALIZE UPDATE ${r.sw.toString(16)}`);
  return r.data;
}

/** The status word of SELECT ISD. */
export async function selectSw(transmit: Transmit): Promise<number> {
  return parseResponse(await transmit(encodeCommand(selectIsd()))).sw;
}

/** True when the card cryptogram verifies for KDF3(kmc, KDD): the card was made with that stock master key. */
export function madeWith(kmc: Uint8Array, iu: Uint8Array): boolean {
  const parsed = parseInitializeUpdateResponse(iu);
  try {
    HostSecureChannel.open({ keys: { ...diversifyKdf3(kmc, parsed.kdd), kvn: parsed.kvn }, hostChallenge: HOST_CHALLENGE, initUpdateResponse: iu, securityLevel: 0x01 }).close();
    return true;
  } catch {
    return false;
  }
}

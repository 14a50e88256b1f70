/**
 * INSTALL [for personalization] (GPC v2.3.1 §11.5.2.3.6, table 11-47):
 *
 *   80 E6 20 00 Lc  00 00 <len> <application AID> 00 00 00  00
 *
 * It tells the security domain that the following STORE DATA commands are
 * for that application (§11.11.1). P1 20 = for personalization, last (only)
 * command; P2 00 = no information (§11.5.2.1, §11.5.2.2).
 */
import { command, type CommandApdu } from '../apdu.js';
import { CardError } from '../errors.js';
import { byteHex, checkAid, CLA_GP, INS } from './constants.js';

/** P1 values of INSTALL (table 11-41) that Cardline sends or recognises. */
export const INSTALL_P1 = {
  MORE: 0x80,
  FOR_REGISTRY_UPDATE: 0x40,
  FOR_PERSONALIZATION: 0x20,
  FOR_EXTRADITION: 0x10,
  FOR_MAKE_SELECTABLE: 0x08,
  FOR_INSTALL: 0x04,
  FOR_LOAD: 0x02,
} as const;

/** INSTALL [for personalization] for `aid` (5..16 bytes). */
export function installForPersonalization(aid: Uint8Array): CommandApdu {
  checkAid(aid, 'application AID');
  const data = new Uint8Array(aid.length + 6);
  data[2] = aid.length;
  data.set(aid, 3);
  return command(CLA_GP, INS.INSTALL, INSTALL_P1.FOR_PERSONALIZATION, 0x00, data, 256);
}

/**
 * Card side: the application AID of an INSTALL [for personalization] data
 * field. Strict: exactly `00 00 L AID 00 00 00` with L in 05..10; anything
 * else throws `COMMAND_DATA_INVALID` (6A80).
 */
export function parseInstallForPersonalization(data: Uint8Array): Uint8Array {
  const bad = (why: string): CardError => new CardError('COMMAND_DATA_INVALID', `INSTALL [for personalization]: ${why}`);
  if (data.length < 3) throw bad(`data of ${data.length} bytes`);
  if (data[0] !== 0x00 || data[1] !== 0x00) throw bad('the two leading lengths must be 00');
  const len = data[2]!;
  checkAid(new Uint8Array(len), 'application AID', 'COMMAND_DATA_INVALID');
  if (data.length !== 3 + len + 3) throw bad(`data of ${data.length} bytes for an AID of ${len}`);
  for (let i = 3 + len; i < data.length; i++) {
    if (data[i] !== 0x00) throw bad(`trailing length byte ${byteHex(data[i]!)} must be 00`);
  }
  return data.slice(3, 3 + len);
}

/** Card side: P1/P2 of an INSTALL that should be [for personalization]. Throws `P1P2_INVALID` (6A86). */
export function checkInstallForPersonalizationParams(p1: number, p2: number): void {
  if (p1 !== INSTALL_P1.FOR_PERSONALIZATION || p2 !== 0x00) {
    throw new CardError('P1P2_INVALID', `INSTALL P1 ${byteHex(p1)} P2 ${byteHex(p2)} is not [for personalization]`);
  }
}
